package hub

import (
	"context"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// ExportRecords calls fn with every active record c may see in full, in
// batches, for matching at the partner's side (fusion match --server). Each
// batch is logged as a disclosure before fn sees it.
func (h *Hub) ExportRecords(ctx context.Context, c *policy.Caller, fn func([]intel.Record) error) error {
	if err := policy.Require(c, policy.ReadIntel); err != nil {
		return err
	}
	q := store.RecordQuery{Limit: 1000}
	for {
		rows, err := h.store.Records(ctx, q, visibility(c))
		if err != nil {
			return err
		}
		batch := make([]intel.Record, 0, len(rows))
		for i := range rows {
			if v, form := policy.RecordForm(c, &rows[i]); form == policy.Full {
				batch = append(batch, v)
			}
		}
		if len(batch) > 0 {
			if err := h.discloseRecords(ctx, c, batch); err != nil {
				return err
			}
			if err := fn(batch); err != nil {
				return err
			}
		}
		if len(rows) < q.Limit {
			return nil
		}
		q.After = rows[len(rows)-1].ID
	}
}
