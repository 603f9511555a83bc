package hub

import (
	"context"
	"slices"
	"strings"

	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// listWithURLs answers a value search for a domain (q.Type and q.Value,
// no tag or text filter) with the domain's own records (rule exact) and
// the URL records on it or on a name under it (rule url-on-domain), merged
// in id order after q.After, limit to a page. The URL records are the
// active ones the match index lists on the domain, read from the store and
// held to the same gate and filters (label, originator, since) as the
// rest: only those c may see in full. A domain has at most one record per
// organization, so its own are all read at once.
func (h *Hub) listWithURLs(ctx context.Context, c *policy.Caller, q store.RecordQuery, limit int) (Page[intel.Record], error) {
	type item struct {
		r    intel.Record
		rule match.Rule
	}
	var items []item
	after := q.After
	for {
		q.Limit = 100
		rows, err := h.store.FindRecords(ctx, q, visibility(c))
		if err != nil {
			return Page[intel.Record]{}, err
		}
		for i := range rows {
			q.After = rows[i].Record.ID
			if v, form := policy.RecordForm(c, &rows[i].Record); policy.Searched(form, true, rows[i].Redacted) {
				items = append(items, item{v, match.RuleExact})
			}
		}
		if len(rows) < q.Limit {
			break
		}
	}
	var ids []string
	h.m.ix.LookupURLsOn(q.Value, func(e match.Entry) bool {
		if id := e.ID(); id > after {
			ids = append(ids, id)
		}
		return true
	})
	if len(ids) > 0 {
		recs, err := h.store.RecordsByID(ctx, ids)
		if err != nil {
			return Page[intel.Record]{}, err
		}
		for i := range recs {
			r := &recs[i]
			host := observable.URLHost(r.Value)
			switch {
			case r.Type != observable.URL || host != q.Value && !strings.HasSuffix(host, "."+q.Value),
				!r.Active() && !q.IncludeRevoked,
				q.Label != "" && !slices.Contains(r.Labels, q.Label),
				q.Originator != "" && r.Originator != q.Originator,
				q.Since != 0 && r.Updated.UnixMicro() < q.Since:
				continue
			}
			if v, form := policy.RecordForm(c, r); policy.Searched(form, true, false) {
				items = append(items, item{v, match.RuleURLOnDomain})
			}
		}
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.r.ID, b.r.ID) })
	page := Page[intel.Record]{Items: []intel.Record{}, Rules: []match.Rule{}}
	for _, it := range items[:min(limit, len(items))] {
		page.Items = append(page.Items, it.r)
		page.Rules = append(page.Rules, it.rule)
	}
	if len(page.Items) == limit { // a full page always carries Next
		page.Next = encodeCursor(page.Items[limit-1].ID)
	}
	return page, h.discloseRecords(ctx, c, page.Items)
}
