package api

import (
	"errors"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/tor"
)

// MaxTorWindow bounds the window of a Tor check.
const MaxTorWindow = 30 * 24 * time.Hour

// torCheck answers GET /api/v1/tor/check?ip=&time=&window=&rule=: was ip
// a Tor relay or exit at time (default now), within window (default 1h),
// or, with rule=exonerator, by ExoneraTor's rules?
func (s *Server) torCheck(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "ip", "time", "window", "rule")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ip, err := netip.ParseAddr(q.Get("ip"))
	if err != nil {
		s.fail(w, r, &intel.FieldError{Field: "ip", Value: q.Get("ip"), Reason: "not an IPv4 or IPv6 address"})
		return
	}
	if ip.Zone() != "" {
		s.fail(w, r, &intel.FieldError{Field: "ip", Value: q.Get("ip"), Reason: "has an IPv6 zone, which names an interface of the asking machine; Tor consensuses list global addresses only"})
		return
	}
	t, err := timeParam(q, "time")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if t.IsZero() {
		t = time.Now()
	}
	switch rule := q.Get("rule"); {
	case rule == tor.RuleExoneraTor && q.Get("window") != "":
		s.fail(w, r, &intel.FieldError{Field: "window", Value: q.Get("window"), Reason: "does not apply with rule=exonerator, whose period is the date ± 1 day"})
		return
	case rule == tor.RuleExoneraTor:
		ans, err := s.hub.TorCheckLikeExoneraTor(r.Context(), c, ip, t)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, ans)
		return
	case rule != "" && rule != tor.RuleFusion:
		s.fail(w, r, &intel.FieldError{Field: "rule", Value: rule, Reason: "not fusion or exonerator"})
		return
	}
	window := time.Hour
	if v := q.Get("window"); v != "" {
		if window, err = time.ParseDuration(v); err != nil || window < 0 || window > MaxTorWindow {
			s.fail(w, r, &intel.FieldError{Field: "window", Value: v, Reason: "not a duration from 0s to 720h, such as 1h or 30m"})
			return
		}
	}
	ans, err := s.hub.TorCheck(r.Context(), c, ip, t, window)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

// MaxTorImportBody bounds one uploaded Tor document or archive (a month of
// CollecTor consensuses as .tar.xz is about 40 MB).
const MaxTorImportBody = 512 << 20

// torImport answers POST /api/v1/tor/import?name=FILE: the body is one
// consensus, exit list, .tar or .tar.xz archive, imported by an admin of
// the hub's operator organization and logged as evidence with its SHA-256.
func (s *Server) torImport(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "name")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := policy.Require(c, policy.OperateHub); err != nil {
		s.fail(w, r, err)
		return
	}
	name := q.Get("name")
	if name == "" {
		name = "upload"
	}
	if name != filepath.Base(name) || strings.ContainsAny(name, "\x00/\\") || strings.HasPrefix(name, ".") || len(name) > 255 {
		s.fail(w, r, &intel.FieldError{Field: "name", Value: name, Reason: "not a plain file name (no directories, not starting with a dot)"})
		return
	}
	dir, err := os.MkdirTemp("", "fusion-tor-import-")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := io.Copy(f, r.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if n == 0 {
		s.fail(w, r, &decodeError{"invalid_body", "request body is empty; a consensus, exit list, .tar or .tar.xz archive is expected"})
		return
	}
	stats, err := s.hub.ImportTorUpload(r.Context(), c, path, name)
	var skip *tor.SkipError
	switch {
	case errors.As(err, &skip) && stats.Consensuses+stats.Skipped+stats.ExitLists == 0 && stats.Microdesc > 0:
		s.fail(w, r, &intel.FieldError{Field: "body", Value: name, Reason: "holds only microdescriptor consensuses, which have no exit policies; import the full consensuses: " + skip.Error()})
		return
	case errors.As(err, &skip) && stats.Consensuses+stats.Skipped+stats.ExitLists == 0:
		s.fail(w, r, &intel.FieldError{Field: "body", Value: name, Reason: "holds no consensus or exit list: " + skip.Error()})
		return
	case err != nil && !errors.As(err, &skip):
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, stats)
}
