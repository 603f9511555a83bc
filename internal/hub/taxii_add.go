package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"fusion/internal/intel"
	"fusion/internal/policy"
)

// TAXIIStatus is TAXII's status resource: what became of the objects of
// one POST. Objects that became records or a report (created, updated or
// unchanged) are successes; objects skipped or refused are failures, with
// the reason. Messages start with the outcome ("created: ...",
// "skipped: ...") so that a client can count them.
type TAXIIStatus struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"`
	RequestTimestamp string          `json:"request_timestamp"`
	TotalCount       int             `json:"total_count"`
	SuccessCount     int             `json:"success_count"`
	Successes        []StatusDetails `json:"successes,omitempty"`
	FailureCount     int             `json:"failure_count"`
	Failures         []StatusDetails `json:"failures,omitempty"`
	PendingCount     int             `json:"pending_count"`
	Pending          []StatusDetails `json:"pendings,omitempty"`
}

// StatusDetails is one object of a status resource.
type StatusDetails struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
	Message string `json:"message,omitempty"`
}

// MaxAddObjects bounds the objects of one POST.
const MaxAddObjects = 50000

// AddObjects submits STIX objects posted to collection id as c's records
// and reports (ImportSTIX), and keeps the status resource that says what
// became of each, for c's organization to read back.
func (h *Hub) AddObjects(ctx context.Context, c *policy.Caller, id string, objects []json.RawMessage) (TAXIIStatus, error) {
	col, err := h.GetCollection(ctx, c, id)
	if err != nil {
		return TAXIIStatus{}, err
	}
	if !col.CanWrite {
		return TAXIIStatus{}, fmt.Errorf("%w: collection %s (%s) does not take objects", intel.ErrForbidden, col.ID, col.Title)
	}
	if len(objects) > MaxAddObjects {
		return TAXIIStatus{}, &intel.FieldError{Field: "objects", Value: fmt.Sprint(len(objects)), Reason: fmt.Sprintf("more than %d objects in one request", MaxAddObjects)}
	}
	now := h.now()
	bundle, err := json.Marshal(struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}{"bundle", "bundle--" + uuid.NewString(), objects})
	if err != nil {
		return TAXIIStatus{}, &intel.FieldError{Field: "objects", Reason: err.Error()}
	}
	res, err := h.ImportSTIX(ctx, c, bundle)
	if err != nil {
		return TAXIIStatus{}, err
	}
	st := TAXIIStatus{ID: uuid.NewString(), Status: "complete", RequestTimestamp: now.UTC().Format(stixTime), TotalCount: len(res.Objects)}
	for _, o := range res.Objects {
		d := StatusDetails{ID: o.ID, Message: o.Status}
		switch {
		case o.Report != "":
			d.Message += ": report " + o.Report
		case len(o.Records) > 0:
			d.Message += ": record " + strings.Join(o.Records, ", ")
		}
		if o.Reason != "" {
			d.Message += ": " + o.Reason
		}
		switch o.Status {
		case Created, Updated, Unchanged:
			st.Successes = append(st.Successes, d)
		default:
			st.Failures = append(st.Failures, d)
		}
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	body, err := json.Marshal(st)
	if err != nil {
		return TAXIIStatus{}, err
	}
	if err := h.store.PutTAXIIStatus(ctx, st.ID, c.Org, now, body); err != nil {
		return TAXIIStatus{}, err
	}
	return st, nil
}

// GetTAXIIStatus returns a status resource c's organization was given, or
// ErrNotFound.
func (h *Hub) GetTAXIIStatus(ctx context.Context, c *policy.Caller, id string) (TAXIIStatus, error) {
	if !canRead(c) && !policy.Can(c, policy.CreateRecords) {
		return TAXIIStatus{}, policy.Require(c, policy.CreateRecords)
	}
	body, err := h.store.TAXIIStatus(ctx, id, c.Org)
	if err != nil {
		return TAXIIStatus{}, err
	}
	var st TAXIIStatus
	return st, json.Unmarshal(body, &st)
}
