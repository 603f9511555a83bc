package ui

import (
	"context"
	"slices"

	"fusion/internal/evidence"
	"fusion/internal/hub"
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
