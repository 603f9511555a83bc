package hub

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/misp"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// MISPEvent returns a report c may see as one MISP event ({"Event":…}):
// ref is the report's id or the uuid of the MISP event it was made of.
// Only the records c may see are in it (revoked ones left out), and their
// disclosure to c is logged, as for GetReport and GetRecord. A report c
// may not see is ErrNotFound, as one that does not exist.
func (h *Hub) MISPEvent(ctx context.Context, c *policy.Caller, ref string) ([]byte, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	r, err := h.mispReport(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	v, recs, err := h.reportViewWith(ctx, c, &r)
	if err != nil {
		return nil, err
	}
	return h.mispEventOf(ctx, c, v, recs)
}

// mispReport finds the report a feed or an export names by ref, as
// stored, if c may see it: by id, else by the MISP event uuid it was made
// of (c's own report first, as in the feed's manifest).
func (h *Hub) mispReport(ctx context.Context, c *policy.Caller, ref string) (intel.Report, error) {
	notFound := fmt.Errorf("report or MISP event %q: %w", ref, intel.ErrNotFound)
	if _, err := uuid.Parse(ref); err != nil {
		return intel.Report{}, notFound
	}
	ref = strings.ToLower(ref)
	r, err := h.store.Report(ctx, ref)
	if err == nil {
		if _, ok := policy.Report(c, &r); ok && r.Revoked == nil {
			return r, nil
		}
	} else if !IsNotFoundErr(err) {
		return intel.Report{}, err
	}
	rows, err := h.store.Reports(ctx, store.ReportQuery{Source: intel.SourceMISP + ":" + ref, Limit: 100}, visibility(c))
	if err != nil {
		return intel.Report{}, err
	}
	var found *intel.Report
	for i := range rows {
		if _, ok := policy.Report(c, &rows[i]); ok && (found == nil || rows[i].Originator == c.Org && found.Originator != c.Org) {
			found = &rows[i]
		}
	}
	if found == nil {
		return intel.Report{}, notFound
	}
	return *found, nil
}

// mispEventOf writes report view v, with recs the records of it c may
// see (reportViewWith), as a MISP event, logging the disclosure of the
// report and of the records. Revoked records are left out.
func (h *Hub) mispEventOf(ctx context.Context, c *policy.Caller, v intel.Report, recs []intel.Record) ([]byte, error) {
	active := recs[:0:0]
	for _, r := range recs {
		if r.Revoked == nil {
			active = append(active, r)
		}
	}
	creator, err := h.mispOrg(ctx, v.Originator)
	if err != nil {
		return nil, err
	}
	data, err := misp.EventFor(&v, active, creator)
	if err != nil {
		return nil, err
	}
	if err := h.discloseReport(ctx, c, v); err != nil {
		return nil, err
	}
	if err := h.discloseRecords(ctx, c, active); err != nil {
		return nil, err
	}
	return data, nil
}

// mispOrgSpace is the UUIDv5 namespace of the uuids fusion organizations
// have as MISP organisations.
var mispOrgSpace = uuid.MustParse("6f1b2d8e-3c4a-5e6f-8a9b-0c1d2e3f4a5b")

// mispOrg is organization id as a MISP organisation: its name, and a
// uuid derived from its id (the same on every export).
func (h *Hub) mispOrg(ctx context.Context, id string) (misp.Org, error) {
	name := id
	if o, err := h.store.Org(ctx, id); err == nil && o.Name != "" {
		name = o.Name
	} else if err != nil && !IsNotFoundErr(err) {
		return misp.Org{}, err
	}
	return misp.Org{Name: name, UUID: uuid.NewSHA1(mispOrgSpace, []byte(id)).String()}, nil
}

// MISPSearchEvent returns the records of f that c may see (one page of
// ListRecords) as one MISP event titled title, and the cursor of the next
// page ("" on the last). The event's TLP is the strictest of its records';
// its uuid is derived from the records, so the same search gives the same
// event.
func (h *Hub) MISPSearchEvent(ctx context.Context, c *policy.Caller, f RecordFilter, title string) ([]byte, string, error) {
	page, err := h.ListRecords(ctx, c, f)
	if err != nil {
		return nil, "", err
	}
	recs := make([]intel.Record, 0, len(page.Items))
	tlp := intel.Clear
	for _, r := range page.Items {
		if r.Revoked != nil {
			continue
		}
		recs = append(recs, r)
		if r.TLP.Rank() > tlp.Rank() {
			tlp = r.TLP
		}
	}
	if strings.TrimSpace(title) == "" {
		title = "fusion search, " + h.now().UTC().Format(time.DateOnly)
	}
	now := h.now()
	v := intel.Report{Title: title, TLP: tlp, Originator: c.Org, Created: now, Updated: now, Labels: []string{}}
	creator, err := h.mispOrg(ctx, c.Org)
	if err != nil {
		return nil, "", err
	}
	data, err := misp.EventFor(&v, recs, creator)
	return data, page.Next, err
}

// mispFeedEvents lists the active reports c may see, as stored, as the
// events of a MISP feed: one per event uuid (c's own report first, else
// the earliest).
func (h *Hub) mispFeedEvents(ctx context.Context, c *policy.Caller) ([]intel.Report, error) {
	var out []intel.Report
	at := map[string]int{}
	q := store.ReportQuery{Limit: 1000}
	for {
		rows, err := h.store.Reports(ctx, q, visibility(c))
		if err != nil {
			return nil, err
		}
		for i := range rows {
			r := rows[i]
			q.After = r.ID
			if _, ok := policy.Report(c, &r); !ok {
				continue
			}
			u := mispUUID(&r)
			if k, ok := at[u]; ok {
				if r.Originator == c.Org && out[k].Originator != c.Org {
					out[k] = r
				}
				continue
			}
			at[u] = len(out)
			out = append(out, r)
		}
		if len(rows) < q.Limit {
			return out, nil
		}
	}
}

// mispUUID is the uuid of the MISP event report r is: the event's it was
// made of, else its own id.
func mispUUID(r *intel.Report) string {
	if r.Source != nil && r.Source.Kind == intel.SourceMISP {
		return r.Source.ID
	}
	return r.ID
}

// MISPManifest returns the manifest.json of the MISP feed of what c may
// see: one entry per report (its event uuid, title, date, creator, TLP and
// tags, and its last change as the timestamp MISP compares).
func (h *Hub) MISPManifest(ctx context.Context, c *policy.Caller) ([]byte, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	reports, err := h.mispFeedEvents(ctx, c)
	if err != nil {
		return nil, err
	}
	entries := make([]misp.ManifestEntry, 0, len(reports))
	for i := range reports {
		v, err := h.reportView(ctx, c, &reports[i])
		if err != nil {
			return nil, err
		}
		if err := h.discloseReport(ctx, c, v); err != nil {
			return nil, err
		}
		r := &v
		e := misp.ManifestEntry{UUID: mispUUID(r), Info: r.Title, Date: r.Created.UTC().Format(time.DateOnly),
			Tags: append([]string{"tlp:" + string(r.TLP)}, r.Tags...), Timestamp: r.Updated.Unix(), ThreatLevel: 4, Analysis: 2}
		if s := r.Source; s != nil && s.Kind == intel.SourceMISP {
			e.Orgc = misp.Org{Name: s.Org, UUID: s.OrgUUID}
			if s.Date != "" {
				e.Date = s.Date
			}
			if s.ThreatLevel != 0 {
				e.ThreatLevel = s.ThreatLevel
			}
			e.Analysis = s.Analysis
		} else if e.Orgc, err = h.mispOrg(ctx, r.Originator); err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return misp.WriteManifest(entries)
}

// MISPHashes returns the hashes.csv of the MISP feed of what c may see:
// the md5 of every attribute value of every event, as MISP writes it. It
// discloses what the events do.
func (h *Hub) MISPHashes(ctx context.Context, c *policy.Caller) ([]byte, error) {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return nil, err
	}
	reports, err := h.mispFeedEvents(ctx, c)
	if err != nil {
		return nil, err
	}
	var hashes []misp.Hash
	for i := range reports {
		v, recs, err := h.reportViewWith(ctx, c, &reports[i])
		if err != nil {
			return nil, err
		}
		data, err := h.mispEventOf(ctx, c, v, recs)
		if err != nil {
			return nil, err
		}
		hs, err := misp.ExportedHashes(data)
		if err != nil {
			return nil, fmt.Errorf("hub: the MISP event of report %s: %w", reports[i].ID, err)
		}
		hashes = append(hashes, hs...)
	}
	return misp.WriteHashes(hashes)
}
