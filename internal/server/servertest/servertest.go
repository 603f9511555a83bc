// Package servertest runs a real fusion hub for tests: a fresh SQLite
// store, the evidence log, the server with its daemon started, served on a
// loopback socket, and shut down when the test ends.
package servertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"fusion/internal/evidence/evidencetest"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/server"
	"fusion/internal/store/storetest"
	"fusion/internal/warninglist"
)

// Hub is a running hub.
type Hub struct {
	// URL is the hub's base URL (http://127.0.0.1:port, no trailing slash).
	URL string
	Hub *hub.Hub
}

// Start runs a hub on a fresh SQLite store until the test ends. Its
// warning lists are warninglist.Fictional, so the reserved names tests use
// (example.com) are taken through every surface.
func Start(tb testing.TB) *Hub {
	tb.Helper()
	ctx, stop := context.WithCancel(context.Background())
	st := storetest.SQLite(tb)
	key := make([]byte, 32)
	rand.Read(key)
	canon, err := observable.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := hub.New(st, canon, evidencetest.Log(tb, st), quiet)
	h.SetWarningLists(warninglist.Fictional())
	s := server.New(server.Config{Hub: h, Secret: bytes.Repeat([]byte{2}, 32), Limits: hub.DefaultLimits, IndexPoll: 50 * time.Millisecond, Log: quiet})
	if err := s.Start(ctx, nil); err != nil {
		stop()
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stop()
		tb.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		stop()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			tb.Error("servertest: the server did not shut down within 10s")
		}
	})
	return &Hub{URL: "http://" + ln.Addr().String(), Hub: h}
}

// Org creates an organization and returns a token of role for it.
func (h *Hub) Org(tb testing.TB, id string, role intel.Role) string {
	tb.Helper()
	ctx := context.Background()
	if _, err := h.Hub.OperatorCreateOrg(ctx, id, "Org "+id, "NL", "cert", false); err != nil {
		tb.Fatal(err)
	}
	return h.Token(tb, id, role)
}

// Token issues another token of role for an existing organization.
func (h *Hub) Token(tb testing.TB, org string, role intel.Role) string {
	tb.Helper()
	secret, _, err := h.Hub.OperatorIssueToken(context.Background(), org, role, "test")
	if err != nil {
		tb.Fatal(err)
	}
	return secret
}

// Records submits green domain records v0.<suffix>.example.com … as the
// token's organization and returns their ids.
func (h *Hub) Records(tb testing.TB, token, suffix string, n int) []string {
	tb.Helper()
	ctx := context.Background()
	c, err := h.Hub.Authenticate(ctx, token)
	if err != nil {
		tb.Fatal(err)
	}
	ins := make([]intel.RecordInput, n)
	for i := range ins {
		ins[i] = intel.RecordInput{Value: fmt.Sprintf("v%d.%s.example.com", i, suffix), TLP: "green"}
	}
	res, err := h.Hub.CreateRecords(ctx, c, ins)
	if err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, 0, n)
	for i, r := range res {
		if r.Err != nil {
			tb.Fatalf("record %d: %v", i, r.Err)
		}
		ids = append(ids, r.Value.ID)
	}
	return ids
}
