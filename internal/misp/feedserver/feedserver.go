// Package feedserver serves a hub's data as a MISP feed under /misp/feed/,
// per caller through the policy gate: manifest.json (one entry per report
// the caller may see), <uuid>.json (each report as a MISP event, with only
// the records the caller may see) and hashes.csv. A MISP instance adds the
// hub as a feed of type "MISP Feed" with the URL https://HUB/misp/feed and
// a custom header carrying one of its organization's API tokens
// ("Authorization: Bearer T"; "Authorization: T" and HTTP Basic with the
// token as password work too), and pulls only what that organization may
// see. docs/misp.md describes it.
package feedserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// Prefix is where the feed is mounted.
const Prefix = "/misp/feed/"

// Hub is what the feed needs of the hub.
type Hub interface {
	Authenticate(ctx context.Context, secret string) (*policy.Caller, error)
	MISPManifest(ctx context.Context, c *policy.Caller) ([]byte, error)
	MISPEvent(ctx context.Context, c *policy.Caller, ref string) ([]byte, error)
	MISPHashes(ctx context.Context, c *policy.Caller) ([]byte, error)
}

// Handler returns the feed's handler, to be mounted at Prefix.
func Handler(h Hub, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			fail(w, http.StatusMethodNotAllowed, r.Method+" is not allowed: a MISP feed is read with GET")
			return
		}
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		if strings.Contains(name, "/") || name == "" {
			fail(w, http.StatusNotFound, "no such feed file "+r.URL.Path+" (manifest.json, hashes.csv or <uuid>.json)")
			return
		}
		// The token in the header, or the bare token: MISP's feed settings
		// send custom headers as they are typed.
		secret, err := hub.TokenFromAuthorization(r.Header.Get("Authorization"), true)
		var c *policy.Caller
		if err == nil {
			c, err = h.Authenticate(r.Context(), secret)
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fusion MISP feed"`)
			fail(w, http.StatusUnauthorized, err.Error())
			return
		}
		var body []byte
		contentType := "application/json"
		switch {
		case name == "manifest.json":
			body, err = h.MISPManifest(r.Context(), c)
		case name == "hashes.csv":
			body, err = h.MISPHashes(r.Context(), c)
			contentType = "text/csv; charset=utf-8"
		case strings.HasSuffix(name, ".json"):
			body, err = h.MISPEvent(r.Context(), c, strings.TrimSuffix(name, ".json"))
		default:
			err = fmt.Errorf("no such feed file %s (manifest.json, hashes.csv or <uuid>.json): %w", r.URL.Path, intel.ErrNotFound)
		}
		switch {
		case err == nil:
		case errors.Is(err, intel.ErrNotFound):
			fail(w, http.StatusNotFound, err.Error())
			return
		case errors.Is(err, intel.ErrForbidden):
			fail(w, http.StatusForbidden, err.Error())
			return
		case errors.Is(err, hub.ErrRateLimited):
			fail(w, http.StatusTooManyRequests, err.Error())
			return
		default:
			log.Error("misp feed", "path", r.URL.Path, "org", c.Org, "err", err)
			fail(w, http.StatusInternalServerError, "internal error")
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(body)
		}
	})
}

// fail answers as MISP does: {"name", "message", "url"}.
func fail(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"name": http.StatusText(status), "message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
