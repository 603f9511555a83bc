package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/server/servertest"
)

// A MISP list, lists/captive-portals/list.json of misp-warninglists (cut).
const captivePortals = `{
  "description": "Hostnames used by different desktop and mobile device operating systems for captive portal detection as documented by the Wireless Broadband Alliance.",
  "list": [
    "captive.apple.com",
    "connectivitycheck.gstatic.com",
    "detectportal.firefox.com",
    "www.msftconnecttest.com"
  ],
  "matching_attributes": [
    "hostname",
    "domain",
    "url",
    "domain|ip"
  ],
  "name": "Captive Portal Detection Hostnames",
  "type": "string",
  "version": 20230130
}
`

// TestWarningListFlag: --warning-list takes a plain list, a MISP list.json
// and a misp-warninglists directory (whose regex list is left out); a hub
// with the lists refuses a listed value, naming the MISP list, end to end.
func TestWarningListFlag(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("own.txt", "# description: our relays\n198.51.100.25\n")
	single := write("captive.json", "\n"+captivePortals)
	repo := filepath.Join(dir, "misp-warninglists")
	write("misp-warninglists/lists/rfc6598/list.json", `{"description": "Event contains one or more entries part of the RFC 6598 CIDR blocks","list": ["100.64.0.0/10"],"matching_attributes": ["ip-src","ip-dst","domain|ip"],"name": "List of RFC 6598 CIDR blocks","type": "cidr","version": 2}`)
	write("misp-warninglists/lists/common-contact-emails/list.json", `{"description": "A list of commonly used abuse and contact e-mail addresses","list": ["/^(security|noc|soc|abuse)\\@.*\\..*$/i"],"name": "Common contact e-mail addresses","type": "regex","version": 20200226}`)

	h := servertest.Start(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	set, err := warningLists(h.Hub, []string{plain, single, repo}, []string{"private"}, true, quiet)
	if err != nil {
		t.Fatal(err)
	}
	names := set.Names()
	for _, n := range []string{"own", "misp-captive-portal-detection-hostnames", "misp-list-of-rfc-6598-cidr-blocks"} {
		if !slices.Contains(names, n) {
			t.Errorf("lists %v: no %s", names, n)
		}
	}
	h.Hub.SetWarningLists(set)

	token := h.Org(t, "org-a", intel.RoleAnalyst)
	ctx := context.Background()
	c, err := h.Hub.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Hub.CreateRecords(ctx, c, []intel.RecordInput{
		{Value: "captive.apple.com", TLP: "green"},
		{Value: "100.64.1.2", TLP: "green"}, // "private" is off: only the MISP list has it
		{Value: "198.51.100.25", TLP: "green"},
		{Value: "evil-captive.example.net", TLP: "green"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"misp-captive-portal-detection-hostnames", "misp-list-of-rfc-6598-cidr-blocks", "own", ""} {
		var we *hub.WarningListError
		switch {
		case want == "" && res[i].Err != nil:
			t.Errorf("record %d refused: %v", i, res[i].Err)
		case want != "" && (!errors.As(res[i].Err, &we) || we.Hits[0].List != want):
			t.Errorf("record %d: %v, want refused on %s", i, res[i].Err, want)
		}
	}

	// A MISP list that cannot be represented, named alone, is an error.
	regex := filepath.Join(repo, "lists", "common-contact-emails", "list.json")
	if _, err := warningLists(h.Hub, []string{regex}, nil, true, quiet); err == nil {
		t.Error("a regex list loaded")
	}
}
