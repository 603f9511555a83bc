package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fusion/internal/cli"
	"fusion/internal/hub"
)

// fusionCLI runs a fusion command in this process and returns its stdout.
func fusionCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if code := cli.Main(args, env); code != 0 {
		t.Fatalf("fusion %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String()
}

// freeAddr returns a local address nothing listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// testHub is one `fusion serve` process with its own data directory.
type testHub struct {
	name, data, addr string
	cmd              *exec.Cmd
	log              bytes.Buffer
}

func (h *testHub) url(path string) string { return "http://" + h.addr + path }

// start runs `fusion serve` in a child process (this test binary acting
// as fusion) and waits until it answers.
func (h *testHub) start(t *testing.T) {
	t.Helper()
	h.cmd = exec.Command(os.Args[0], "serve", "--data", h.data, "--addr", h.addr, "--log-level", "debug")
	h.cmd.Env = append(os.Environ(), "FUSION_AS_CLI=1")
	h.cmd.Stdout, h.cmd.Stderr = &h.log, &h.log
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if code := h.stop(); code != 0 {
			t.Errorf("hub %s exited with %d", h.name, code)
		}
		if t.Failed() {
			t.Logf("hub %s log:\n%s", h.name, h.log.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(h.url("/healthz")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub %s did not come up:\n%s", h.name, h.log.String())
		}
	}
}

// stop interrupts the hub, waits for it to exit (once) and returns its
// exit code (a data race found under -race makes it non-zero).
func (h *testHub) stop() int {
	if h.cmd.ProcessState != nil {
		return h.cmd.ProcessState.ExitCode()
	}
	h.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		h.cmd.Process.Kill()
		<-done
	}
	return h.cmd.ProcessState.ExitCode()
}

// call makes an API request with token and decodes the JSON answer into out.
func call(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && json.Unmarshal(b, out) != nil {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// eventually polls check until it holds or the time is up.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(45 * time.Second); !check(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

type recordList struct {
	Records []struct {
		ID, Value, TLP, Originator string
		Origin                     *struct{ Hub, Org, ID string }
		Handling                   struct{ Codes []string }
	}
}

// values lists the values of the records token sees on hub h that
// originator originated.
func values(t *testing.T, h *testHub, token, originator string) []string {
	var l recordList
	if st := call(t, "GET", h.url("/api/v1/records?limit=100&originator="+originator), token, "", &l); st != 200 {
		t.Logf("records at %s: %d", h.name, st)
	}
	var out []string
	for _, r := range l.Records {
		out = append(out, r.Value)
	}
	slices.Sort(out)
	return out
}

// TestFederationTwoHubs runs two hubs, each its own process and store,
// each pulling the other's collection: records move both ways with their
// origin and handling, what may not leave a hub (H2, amber+strict, red,
// amber not naming the partner, personal data) never does, and a sighting
// and feedback at hub B reach the originator at hub A.
func TestFederationTwoHubs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two hub processes")
	}
	a := &testHub{name: "a", data: filepath.Join(t.TempDir(), "a"), addr: freeAddr(t)}
	b := &testHub{name: "b", data: filepath.Join(t.TempDir(), "b"), addr: freeAddr(t)}
	tokens := map[string]string{}
	// Hub A: bank-a shares; hub-b stands for hub B. Hub B likewise, with a
	// group its amber records from A are shared with.
	for _, h := range []struct {
		hub            *testHub
		member, remote string
	}{{a, "bank-a", "hub-b"}, {b, "bank-b", "hub-a"}} {
		d := "--data=" + h.hub.data
		fusionCLI(t, "admin", "org", "create", d, "--id", h.member, "--name", h.member, "--country", "NL", "--sector", "bank")
		fusionCLI(t, "admin", "org", "create", d, "--id", h.remote, "--name", "partner "+h.remote, "--country", "BE", "--sector", "other")
		tokens[h.hub.name+"/"+h.member] = strings.TrimSpace(fusionCLI(t, "admin", "token", "create", d, "--org", h.member, "--role", "admin"))
		tokens[h.hub.name+"/"+h.remote+"/partner"] = strings.TrimSpace(fusionCLI(t, "admin", "token", "create", d, "--org", h.remote, "--role", "partner"))
		tokens[h.hub.name+"/"+h.remote+"/admin"] = strings.TrimSpace(fusionCLI(t, "admin", "token", "create", d, "--org", h.remote, "--role", "reader"))
	}
	fusionCLI(t, "admin", "group", "create", "--data="+b.data, "--id", "from-a", "--name", "From hub A", "--owner", "bank-b")
	// B pulls A as hub-a with A's partner token for hub-b, and A pulls B.
	fusionCLI(t, "federation", "add", "--data="+b.data, "--partner", a.url("/taxii2/"), "--collection", hub.CollectionVisible,
		"--token", tokens["a/hub-b/partner"], "--as", "hub-a", "--name", "hub-a", "--every", "1s", "--amber-group", "from-a")
	fusionCLI(t, "federation", "add", "--data="+a.data, "--partner", b.url("/taxii2/"), "--collection", hub.CollectionVisible,
		"--token", tokens["b/hub-a/partner"], "--as", "hub-b", "--name", "hub-b", "--every", "1s")
	a.start(t)
	b.start(t)

	bankA, bankB := tokens["a/bank-a"], tokens["b/bank-b"]
	rec := func(value, tlp string, extra string) string {
		return fmt.Sprintf(`{"value":%q,"tlp":%q,"labels":["phishing"]%s}`, value, tlp, extra)
	}
	body := `{"records":[` + strings.Join([]string{
		rec("green-a.fedtest-phish.net", "green", `,"handling":{"codes":["H1"]}`),
		rec("amber-named-a.fedtest-phish.net", "amber", `,"audience":{"orgs":["hub-b"]}`),
		rec("amber-unnamed-a.fedtest-phish.net", "amber", ``),
		rec("h2-a.fedtest-phish.net", "green", `,"handling":{"codes":["H2"]}`),
		rec("strict-a.fedtest-phish.net", "amber+strict", `,"audience":{"orgs":["hub-b"]}`),
		rec("red-a.fedtest-phish.net", "red", `,"audience":{"orgs":["hub-b"]}`),
		rec("personal-a@fedtest-phish.net", "green", `,"personal":true`),
	}, ",") + `]}`
	submit := func(h *testHub, token, body string) {
		var res struct{ Results []struct{ Error any } }
		if st := call(t, "POST", h.url("/api/v1/records"), token, body, &res); st != 200 {
			t.Fatalf("records at %s: %d", h.name, st)
		}
		for _, r := range res.Results {
			if r.Error != nil {
				t.Fatalf("records at %s: %v", h.name, r.Error)
			}
		}
	}
	submit(a, bankA, body)
	submit(b, bankB, `{"records":[`+rec("green-b.fedtest-phish.net", "green", "")+`]}`)

	// A's forwardable records reach B, originated by hub-a with their
	// origin; the rest never do.
	want := []string{"amber-named-a.fedtest-phish.net", "green-a.fedtest-phish.net"}
	var last []string
	eventually(t, "A's records at B", func() bool { last = values(t, b, tokens["b/hub-a/admin"], "hub-a"); return slices.Equal(last, want) })
	time.Sleep(2500 * time.Millisecond) // more pulls: still nothing else
	if got := values(t, b, tokens["b/hub-a/admin"], "hub-a"); !slices.Equal(got, want) {
		t.Errorf("hub-a's records at B = %v, want %v (H2, amber+strict, red, unnamed amber and personal records must not leave A)", got, want)
	}
	var l recordList
	call(t, "GET", b.url("/api/v1/records?limit=100"), bankB, "", &l)
	seen := map[string]bool{}
	var greenAtB string
	for _, r := range l.Records {
		seen[r.Value] = true
		if r.Value == "green-a.fedtest-phish.net" {
			greenAtB = r.ID
			if r.Originator != "hub-a" || r.Origin == nil || r.Origin.Hub != "hub-a" || r.Origin.Org != "bank-a" || !strings.HasPrefix(r.Origin.ID, "indicator--") ||
				!slices.Contains(r.Handling.Codes, "H1") || r.TLP != "green" {
				t.Errorf("green record at B: %+v", r)
			}
		}
	}
	if !seen["amber-named-a.fedtest-phish.net"] || !seen["green-a.fedtest-phish.net"] {
		t.Errorf("bank-b (in the amber group) sees %v", seen)
	}

	// And B's record reaches A.
	eventually(t, "B's record at A", func() bool {
		return slices.Contains(values(t, a, tokens["a/hub-b/admin"], "hub-b"), "green-b.fedtest-phish.net")
	})
	// A record is not sent back where it came from as the partner's own.
	if got := values(t, a, tokens["a/hub-b/admin"], "hub-b"); slices.Contains(got, "green-a.fedtest-phish.net") {
		t.Errorf("A's own record came back from B as hub-b's: %v", got)
	}

	// A sighting at B reaches the originator at A.
	if greenAtB == "" {
		t.Fatal("no green record at B")
	}
	eventually(t, "a sighting at B", func() bool {
		var res struct{ Matches int }
		call(t, "POST", b.url("/api/v1/events"), bankB, `{"time":"2026-11-30T10:00:00Z","value":"green-a.fedtest-phish.net"}`+"\n", &res)
		return res.Matches > 0
	})
	if st := call(t, "POST", b.url("/api/v1/records/"+greenAtB+"/feedback"), bankB, `{"outcome":"blocked","note":"blocked at the proxy"}`, nil); st != 200 && st != 201 {
		t.Fatalf("feedback at B: %d", st)
	}
	eventually(t, "the sighting and the feedback at A", func() bool {
		var fb hub.FeedbackSummary
		call(t, "GET", a.url("/api/v1/feedback"), bankA, "", &fb)
		for _, r := range fb.Records {
			if r.Value == "green-a.fedtest-phish.net" && r.Sightings >= 1 && r.Outcomes["blocked"] == 1 {
				for _, by := range r.By {
					if by.Observer.Org == "hub-b" && by.Outcome == "blocked" && by.Note == "blocked at the proxy" {
						return true
					}
				}
			}
		}
		return false
	})

	// Everything each hub took from the other is in its evidence log.
	for _, h := range []*testHub{a, b} {
		if code := h.stop(); code != 0 {
			t.Errorf("hub %s exited with %d:\n%s", h.name, code, h.log.String())
		}
		out := fusionCLI(t, "evidence", "verify", "--data", h.data)
		if !strings.Contains(out, "OK: the log, its checkpoints and every object agree") {
			t.Errorf("evidence verify at %s: %s", h.name, out)
		}
	}
}
