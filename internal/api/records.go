package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
)

type batchItem struct {
	ID     string    `json:"id,omitempty"`
	Status string    `json:"status,omitempty"` // created, updated or unchanged
	Error  *apiError `json:"error,omitempty"`
}

type batchAnswer struct {
	Results   []batchItem `json:"results"`
	Created   int         `json:"created"`
	Updated   int         `json:"updated"`
	Unchanged int         `json:"unchanged"`
	Failed    int         `json:"failed"`
}

// createRecords stores up to hub.MaxBatch records in one transaction and
// answers per item, in order. Only a body that is not the expected JSON
// shape fails as a whole.
func (s *Server) createRecords(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if err := policy.Require(c, policy.CreateRecords); err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	raw, err := splitBatch(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if raw == nil {
		s.fail(w, r, &decodeError{"invalid_field", `records: is required ({"records":[...]})`})
		return
	}
	if err := hub.CheckBatch(len(raw)); err != nil {
		s.fail(w, r, err)
		return
	}
	id, done := s.idempotency(w, r, c, "POST /api/v1/records", body)
	if done {
		return
	}
	res, err := s.hub.CreateRecordsKept(r.Context(), c, len(raw), func(i int) (intel.RecordInput, error) {
		var in intel.RecordInput
		err := decodeBytes(raw[i], &in)
		return in, err
	}, keep(id, func(res []hub.Result[intel.Record]) any { return newBatchAnswer(res) }))
	var ans batchAnswer
	if err == nil {
		ans = newBatchAnswer(res)
		s.obs.Ingested(ans.Created, ans.Updated, ans.Unchanged, ans.Failed)
	}
	s.answered(w, r, c, id, err, ans)
}

// newBatchAnswer is the answer to a batch of records.
func newBatchAnswer(res []hub.Result[intel.Record]) batchAnswer {
	ans := batchAnswer{Results: make([]batchItem, len(res))}
	for i, res := range res {
		if res.Err != nil {
			ans.Results[i].Error = itemError(res.Err)
			ans.Failed++
			continue
		}
		ans.Results[i].ID, ans.Results[i].Status = res.Value.ID, res.Status
		switch res.Status {
		case hub.Created:
			ans.Created++
		case hub.Updated:
			ans.Updated++
		default:
			ans.Unchanged++
		}
	}
	return ans
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	rec, err := s.hub.GetRecord(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

type recordList struct {
	Records    []listedRecord `json:"records"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// listedRecord is a record in a list; a value search says by which rule
// it matched.
type listedRecord struct {
	intel.Record
	Rule match.Rule `json:"rule,omitempty"`
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "value", "type", "label", "tag", "q", "originator", "since", "include_revoked", "limit", "cursor")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := hub.RecordFilter{Value: q.Get("value"), Type: q.Get("type"), Label: q.Get("label"), Tag: q.Get("tag"), Query: q.Get("q"), Originator: q.Get("originator"), Cursor: q.Get("cursor")}
	if f.Since, err = timeParam(q, "since"); err == nil {
		if f.Limit, err = limitParam(q); err == nil {
			f.IncludeRevoked, err = boolParam(q, "include_revoked")
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.hub.ListRecords(r.Context(), c, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := recordList{Records: make([]listedRecord, len(page.Items)), NextCursor: page.Next}
	for i := range page.Items {
		out.Records[i].Record = page.Items[i]
		if i < len(page.Rules) {
			out.Records[i].Rule = page.Rules[i]
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var p intel.RecordPatch
	if err := decode(r, &p); err != nil {
		if de, ok := err.(*decodeError); ok && (de.msg == `unknown field "value"` || de.msg == `unknown field "type"`) {
			de.code, de.msg = "invalid_field", "type and value of a record cannot change; revoke it and create a new record"
		}
		s.fail(w, r, err)
		return
	}
	rec, err := s.hub.UpdateRecord(r.Context(), c, r.PathValue("id"), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) revokeRecord(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "reason")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.hub.RevokeRecord(r.Context(), c, r.PathValue("id"), q.Get("reason"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) recordHistory(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	versions, err := s.hub.RecordHistory(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": versions})
}

// query returns the URL query, refusing parameters not in allowed by name.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &decodeError{"invalid_field", "query string: " + err.Error()}
	}
	for k := range q {
		if !slices.Contains(allowed, k) {
			return nil, &decodeError{"unknown_field", "unknown query parameter " + strconv.Quote(k) + " (allowed: " + strings.Join(allowed, ", ") + ")"}
		}
	}
	return q, nil
}

func timeParam(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, &intel.FieldError{Field: name, Value: v, Reason: "not an RFC 3339 time such as 2026-01-02T15:04:05Z"}
	}
	return t, nil
}

// pageQuery reads the query of a route whose only parameters are a page's
// limit and cursor.
func pageQuery(r *http.Request) (limit int, cursor string, err error) {
	q, err := query(r, "limit", "cursor")
	if err != nil {
		return 0, "", err
	}
	limit, err = limitParam(q)
	return limit, q.Get("cursor"), err
}

// limitParam reads a page size: absent means the hub's default; given, it
// must be a whole number from 1 to hub.MaxPage.
func limitParam(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > hub.MaxPage {
		return 0, &intel.FieldError{Field: "limit", Value: v, Reason: fmt.Sprintf("must be a whole number from 1 to %d", hub.MaxPage)}
	}
	return n, nil
}

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &intel.FieldError{Field: name, Value: v, Reason: "not true or false"}
	}
	return b, nil
}
