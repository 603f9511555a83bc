package ui

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// maxCustodyScan bounds how many of the log's latest entries the record
// page reads for a record's chain of custody, so that a page view costs at
// most this many entries however long the log grows.
const maxCustodyScan = 50 * hub.MaxEntries

// custody is a record's chain of custody as the reader may see it.
type custody struct {
	Entries []hub.Entry
	// Partial: the log is longer than maxCustodyScan and only its latest
	// entries were read.
	Partial bool
	// Scanned is how many entries were read.
	Scanned int64
	// Owner: the reader's organization owns the record, and so may
	// download its evidence bundle.
	Owner bool
}

// recordCustody returns the evidence entries about record id that c may
// see (the hub's EvidenceEntries decides which), newest first, reading the
// log backwards from its end in the hub's largest ranges.
func (u *UI) recordCustody(ctx context.Context, c *policy.Caller, id string) (custody, error) {
	var out custody
	if u.ev == nil {
		return out, nil
	}
	size, err := u.ev.Size(ctx)
	if err != nil {
		return out, err
	}
	for to := size; to > 0 && out.Scanned < maxCustodyScan; {
		from := max(0, to-hub.MaxEntries)
		es, err := u.hub.EvidenceEntries(ctx, c, from, to)
		if err != nil {
			return out, err
		}
		for _, e := range slices.Backward(es) {
			if _, ok := e.Leaf.About(evidence.KindRecord, id); ok {
				out.Entries = append(out.Entries, e)
			}
		}
		out.Scanned += to - from
		to = from
		out.Partial = to > 0 && out.Scanned >= maxCustodyScan
	}
	return out, nil
}

// evidenceBundle serves GET /records/{id}/evidence.bundle: the record's
// evidence bundle as `fusion evidence export` writes it, as an attachment.
// The hub gives it to the record's owner only; a record the reader may not
// see is not found, and to other readers it is forbidden.
func (u *UI) evidenceBundle(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	b, err := u.hub.EvidenceBundle(r.Context(), s.caller, id)
	if errors.Is(err, intel.ErrForbidden) {
		http.Error(w, "the evidence bundle of a record is for the record's owner only", http.StatusForbidden)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		u.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(id)+`.evidence.json"`)
	w.Write(append(data, '\n'))
}

// safeFileName keeps the letters, digits, '-' and '_' of id, so that a
// record id cannot break out of the Content-Disposition header.
func safeFileName(id string) string {
	out := make([]byte, 0, len(id))
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "record"
	}
	return string(out)
}
