package ui

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"fusion/internal/evidence"
)

// evidenceData is the evidence page: the latest signed checkpoint and the
// log's halt state.
type evidenceData struct {
	// None: the hub keeps no evidence log.
	None bool
	// Halted is why the log was halted; empty when it is not.
	Halted string
	// CheckpointError is why no checkpoint could be signed (no key, or a
	// check failed); empty on success.
	CheckpointError string
	// CheckpointFailed: getting the checkpoint failed for another reason,
	// which is logged and not shown.
	CheckpointFailed bool
	Origin           string
	Size             int64
	Root             string
	// Note is the whole signed note, to copy into `fusion evidence verify`
	// or a witness.
	Note string
	// Checked is when this page checked the log's head and got the
	// checkpoint (a checkpoint carries no time of its own).
	Checked time.Time
}

// evidencePage serves GET /evidence: the log's latest signed checkpoint
// (signing a new one if the log grew, as GET /api/v1/evidence/checkpoint
// does, which checks the entries it covers) and whether the log is halted.
// It does not run the full check, which is `fusion evidence verify`.
func (u *UI) evidencePage(w http.ResponseWriter, r *http.Request, s *session) {
	d := evidenceData{}
	if u.ev == nil {
		d.None = true
		u.render(w, r, http.StatusOK, "evidence.html", u.page(s, "evidence.title", d))
		return
	}
	if err := u.ev.Halted(); err != nil {
		d.Halted = err.Error()
	}
	cp, err := u.ev.Checkpoint(r.Context())
	if err != nil {
		// The hub's reason for an inconsistent log is for every caller (the
		// API serves it too); any other failure is logged, not shown.
		if errors.Is(err, evidence.ErrInconsistent) {
			d.CheckpointError = err.Error()
		} else {
			u.log.Error("ui: evidence checkpoint", "err", err)
			d.CheckpointFailed = true
		}
		if d.Halted == "" {
			if h := u.ev.Halted(); h != nil {
				d.Halted = h.Error()
			}
		}
	} else {
		d.Checked = time.Now()
		d.Origin, d.Size, d.Note = cp.Origin, cp.Size, strings.TrimRight(cp.Note, "\n")
		d.Root = base64.StdEncoding.EncodeToString(cp.Root[:])
	}
	u.render(w, r, http.StatusOK, "evidence.html", u.page(s, "evidence.title", d))
}
