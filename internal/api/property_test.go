package api_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"testing"
	"time"

	"fusion/internal/authztest"
	"fusion/internal/evidence/evidencetest"
	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/server"
	"fusion/internal/sms"
	"fusion/internal/stix"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
	"fusion/internal/tor"
)

// TestAuthorizationPropertyHTTP runs the authorization property harness
// through the HTTP API: the real read path members use.
func TestAuthorizationPropertyHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := newHub(t, st, evidencetest.Log(t, st))
		srv := httptest.NewServer(server.New(server.Config{Hub: h, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
		defer srv.Close()
		authztest.Run(t, st, h, 10000, func(callers map[string]*policy.Caller) authztest.Client {
			c := &httpClient{base: srv.URL, tokens: map[string]string{}}
			for org := range callers {
				secret, _, err := h.OperatorIssueToken(context.Background(), org, intel.RoleAdmin, "")
				if err != nil {
					t.Fatal(err)
				}
				c.tokens[org] = secret
			}
			return c
		})
	})
}

type httpClient struct {
	base   string
	tokens map[string]string
}

func (c *httpClient) call(org, method, path string, body, out any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte: // as it is (JSON lines of bookings)
		rd = bytes.NewReader(b)
	default:
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.tokens[org])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%s %s: %w", method, path, intel.ErrNotFound)
	case resp.StatusCode == http.StatusConflict:
		return fmt.Errorf("%s %s: %s: %w", method, path, raw, intel.ErrConflict)
	case resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s %s: %d %s: %w", method, path, resp.StatusCode, raw, intel.ErrForbidden)
	case resp.StatusCode >= 300:
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

func (c *httpClient) CreateRecords(org string, ins []intel.RecordInput) ([]hub.Result[intel.Record], error) {
	var ans struct {
		Results []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Error  *struct{ Code, Message string }
		} `json:"results"`
	}
	if err := c.call(org, "POST", "/api/v1/records", map[string]any{"records": ins}, &ans); err != nil {
		return nil, err
	}
	out := make([]hub.Result[intel.Record], len(ans.Results))
	for i, r := range ans.Results {
		if r.Error != nil {
			out[i].Err = fmt.Errorf("%s: %s", r.Error.Code, r.Error.Message)
		}
		out[i].Value.ID, out[i].Status = r.ID, r.Status
	}
	return out, nil
}

func (c *httpClient) UpdateRecord(org, id string, p intel.RecordPatch) error {
	return c.call(org, "PATCH", "/api/v1/records/"+id, p, nil)
}

func (c *httpClient) RevokeRecord(org, id string) error {
	return c.call(org, "DELETE", "/api/v1/records/"+id+"?reason=test", nil, nil)
}

func (c *httpClient) CreateReport(org string, in intel.ReportInput) (string, error) {
	var r intel.Report
	err := c.call(org, "POST", "/api/v1/reports", in, &r)
	return r.ID, err
}

func (c *httpClient) UpdateReport(org, id string, p intel.ReportPatch) (intel.Report, error) {
	var r intel.Report
	err := c.call(org, "PATCH", "/api/v1/reports/"+id, p, &r)
	return r, err
}

func (c *httpClient) GetRecord(org, id string) (intel.Record, error) {
	var r intel.Record
	err := c.call(org, "GET", "/api/v1/records/"+id, nil, &r)
	return r, err
}

func (c *httpClient) RecordHistory(org, id string) ([]intel.Record, error) {
	var ans struct{ Versions []intel.Record }
	err := c.call(org, "GET", "/api/v1/records/"+id+"/history", nil, &ans)
	return ans.Versions, err
}

func (c *httpClient) ListRecords(org string, f hub.RecordFilter) (hub.Page[intel.Record], error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("value", f.Value)
	set("type", f.Type)
	set("label", f.Label)
	set("tag", f.Tag)
	set("q", f.Query)
	set("originator", f.Originator)
	set("cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.IncludeRevoked {
		q.Set("include_revoked", "true")
	}
	var ans struct {
		Records []struct {
			intel.Record
			Rule match.Rule `json:"rule"`
		} `json:"records"`
		NextCursor string `json:"next_cursor"`
	}
	err := c.call(org, "GET", "/api/v1/records?"+q.Encode(), nil, &ans)
	page := hub.Page[intel.Record]{Items: []intel.Record{}, Next: ans.NextCursor}
	for _, r := range ans.Records {
		page.Items = append(page.Items, r.Record)
		if r.Rule != "" {
			page.Rules = append(page.Rules, r.Rule)
		}
	}
	return page, err
}

func (c *httpClient) GetReport(org, id string) (intel.Report, error) {
	var r intel.Report
	err := c.call(org, "GET", "/api/v1/reports/"+id, nil, &r)
	return r, err
}

func (c *httpClient) ListReports(org string, f hub.ReportFilter) (hub.Page[intel.Report], error) {
	q := url.Values{}
	if f.Record != "" {
		q.Set("record", f.Record)
	}
	q.Set("limit", "1000")
	var ans struct {
		Reports    []intel.Report `json:"reports"`
		NextCursor string         `json:"next_cursor"`
	}
	err := c.call(org, "GET", "/api/v1/reports?"+q.Encode(), nil, &ans)
	return hub.Page[intel.Report]{Items: ans.Reports, Next: ans.NextCursor}, err
}

func (c *httpClient) Hits(org string, values []string) ([]hub.HitAnswer, error) {
	var ans struct{ Results []hub.HitAnswer }
	err := c.call(org, "POST", "/api/v1/hits", map[string]any{"values": values}, &ans)
	return ans.Results, err
}

func (c *httpClient) TorCheck(org string, ip netip.Addr, at time.Time, window time.Duration) (tor.Answer, error) {
	q := url.Values{"ip": {ip.String()}, "time": {at.Format(time.RFC3339Nano)}, "window": {window.String()}}
	var ans tor.Answer
	err := c.call(org, "GET", "/api/v1/tor/check?"+q.Encode(), nil, &ans)
	return ans, err
}

func (c *httpClient) Events(org string, log []byte) error {
	req, _ := http.NewRequest("POST", c.base+"/api/v1/events", bytes.NewReader(log))
	req.Header.Set("Authorization", "Bearer "+c.tokens[org])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("POST /api/v1/events: %d %s", resp.StatusCode, raw)
	}
	return nil
}

func (c *httpClient) Detections(org string) ([]finding.Finding, error) {
	var ans struct {
		Detections []finding.Finding `json:"detections"`
	}
	err := c.call(org, "GET", "/api/v1/detections", nil, &ans)
	return ans.Detections, err
}

func (c *httpClient) SMSShare(org, app, prefix, tlp string, aud intel.Audience) (intel.Record, error) {
	var ans struct {
		Record intel.Record `json:"record"`
	}
	err := c.call(org, "POST", "/api/v1/sms/blocks/share", map[string]any{"app": app, "prefix": prefix, "tlp": tlp, "audience": aud}, &ans)
	return ans.Record, err
}

func (c *httpClient) Export(org string) ([]intel.Record, error) {
	req, _ := http.NewRequest("GET", c.base+"/api/v1/records/export", nil)
	req.Header.Set("Authorization", "Bearer "+c.tokens[org])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET /api/v1/records/export: %d %s", resp.StatusCode, raw)
	}
	var out []intel.Record
	dec := json.NewDecoder(resp.Body)
	for dec.More() {
		var r intel.Record
		if err := dec.Decode(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *httpClient) Sightings(org string, obs []match.Observation) (hub.SightingResult, error) {
	var body bytes.Buffer
	for _, o := range obs {
		ev := map[string]string{"time": o.Time.Format(time.RFC3339Nano), "value": o.Value}
		if o.Event != (match.EventID{}) {
			ev["uid"] = hex.EncodeToString(o.Event[:]) // the same event, named as a sensor names it
		}
		line, _ := json.Marshal(ev)
		body.Write(line)
		body.WriteByte('\n')
	}
	req, _ := http.NewRequest("POST", c.base+"/api/v1/events", &body)
	req.Header.Set("Authorization", "Bearer "+c.tokens[org])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return hub.SightingResult{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return hub.SightingResult{}, fmt.Errorf("POST /api/v1/events: %d %s", resp.StatusCode, raw)
	}
	var res hub.SightingResult
	return res, json.Unmarshal(raw, &res)
}

func (c *httpClient) SetAnonymous(org string, anonymous bool) error {
	return c.call(org, "PATCH", "/api/v1/orgs/"+org, map[string]bool{"anonymous_feedback": anonymous}, nil)
}

func (c *httpClient) AddFeedback(org, record, outcome, note string) error {
	return c.call(org, "POST", "/api/v1/records/"+record+"/feedback", map[string]string{"outcome": outcome, "note": note}, nil)
}

func (c *httpClient) Feedback(org string, limit int, cursor string) (hub.FeedbackSummary, error) {
	var sum hub.FeedbackSummary
	err := c.call(org, "GET", "/api/v1/feedback?"+url.Values{"limit": {strconv.Itoa(limit)}, "cursor": {cursor}}.Encode(), nil, &sum)
	return sum, err
}

func (c *httpClient) OwnSightings(org string, limit int, cursor string) (hub.Page[hub.OwnSighting], error) {
	var ans struct {
		Sightings  []hub.OwnSighting `json:"sightings"`
		NextCursor string            `json:"next_cursor"`
	}
	err := c.call(org, "GET", "/api/v1/sightings?"+url.Values{"limit": {strconv.Itoa(limit)}, "cursor": {cursor}}.Encode(), nil, &ans)
	return hub.Page[hub.OwnSighting]{Items: ans.Sightings, Next: ans.NextCursor}, err
}

func (c *httpClient) RequestAccess(org, ref, purpose string) (hub.AccessView, error) {
	var v hub.AccessView
	err := c.call(org, "POST", "/api/v1/access-requests", map[string]string{"ref": ref, "purpose": purpose}, &v)
	return v, err
}

func (c *httpClient) DecideAccess(org, id string, approve bool) error {
	verb := "deny"
	if approve {
		verb = "approve"
	}
	return c.call(org, "POST", "/api/v1/access-requests/"+id+"/"+verb, map[string]string{}, nil)
}

func (c *httpClient) AccessRequests(org string, received bool) ([]hub.AccessView, error) {
	as := "requester"
	if received {
		as = "owner"
	}
	var ans struct {
		AccessRequests []hub.AccessView `json:"access_requests"`
	}
	err := c.call(org, "GET", "/api/v1/access-requests?as="+as, nil, &ans)
	return ans.AccessRequests, err
}

func (c *httpClient) Entries(org string, from, to int64) ([]hub.Entry, error) {
	var ans struct {
		Entries []hub.Entry `json:"entries"`
	}
	err := c.call(org, "GET", fmt.Sprintf("/api/v1/evidence/entries?from=%d&to=%d", from, to), nil, &ans)
	return ans.Entries, err
}

func (c *httpClient) Bundle(org, id string) ([]byte, error) {
	var raw json.RawMessage
	err := c.call(org, "GET", "/api/v1/evidence/bundle?record="+url.QueryEscape(id), nil, &raw)
	return raw, err
}

func (c *httpClient) Groups(org string) ([]intel.Group, error) {
	var ans struct {
		Groups []intel.Group `json:"groups"`
	}
	err := c.call(org, "GET", "/api/v1/groups", nil, &ans)
	return ans.Groups, err
}

func (c *httpClient) Group(org, id string) (intel.Group, error) {
	var g intel.Group
	err := c.call(org, "GET", "/api/v1/groups/"+id, nil, &g)
	return g, err
}

func (c *httpClient) TAXII(org string) ([]intel.Record, error) {
	var out []intel.Record
	next := ""
	for {
		u := c.base + "/taxii2/api/collections/" + hub.CollectionVisible + "/objects/?limit=25&match[type]=indicator"
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+c.tokens[org])
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var env struct {
			More    bool
			Next    string
			Objects []struct{ ID, Type, Name string }
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return nil, fmt.Errorf("TAXII objects for %s: %d %v", org, resp.StatusCode, err)
		}
		for _, o := range env.Objects {
			ref, _, ok := stix.FusionRef(o.ID)
			if o.Type != "indicator" || !ok {
				return nil, fmt.Errorf("TAXII gave %s an object %s that is not a record's indicator", org, o.ID)
			}
			out = append(out, intel.Record{ID: ref, Value: o.Name})
		}
		if !env.More {
			return out, nil
		}
		next = env.Next
	}
}

func (c *httpClient) MISPFeed(org string) ([]intel.Record, error) {
	return authztest.FeedRecords(func(name string) ([]byte, error) {
		req, _ := http.NewRequest("GET", c.base+"/misp/feed/"+name, nil)
		req.Header.Set("Authorization", c.tokens[org]) // as a MISP feed's custom header: the bare token
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET /misp/feed/%s: %s: %s", name, resp.Status, body)
		}
		return body, nil
	})
}

func (c *httpClient) ListOrgs(org string) ([]intel.Org, error) {
	var ans struct {
		Orgs []intel.Org `json:"orgs"`
	}
	err := c.call(org, "GET", "/api/v1/orgs", nil, &ans)
	return ans.Orgs, err
}

func (c *httpClient) GetOrg(org, id string) (intel.Org, error) {
	var o intel.Org
	err := c.call(org, "GET", "/api/v1/orgs/"+url.PathEscape(id), nil, &o)
	return o, err
}

func (c *httpClient) OwnOrgSettings(org string) (hub.OrgSettings, error) {
	var ans struct {
		Settings hub.OrgSettings `json:"settings"`
	}
	err := c.call(org, "GET", "/api/v1/whoami", nil, &ans)
	return ans.Settings, err
}

func (c *httpClient) CreateGroup(org, name string) (intel.Group, error) {
	var g intel.Group
	err := c.call(org, "POST", "/api/v1/groups", map[string]string{"name": name}, &g)
	return g, err
}

func (c *httpClient) AddGroupMember(org, group, member string) (intel.Group, error) {
	var g intel.Group
	err := c.call(org, "POST", "/api/v1/groups/"+url.PathEscape(group)+"/members", map[string]string{"org": member}, &g)
	return g, err
}

func (c *httpClient) RemoveGroupMember(org, group, member string) (intel.Group, error) {
	var g intel.Group
	err := c.call(org, "DELETE", "/api/v1/groups/"+url.PathEscape(group)+"/members/"+url.PathEscape(member), nil, &g)
	return g, err
}

func (c *httpClient) SMSCheck(org string, req sms.Request) (sms.Decision, error) {
	body := map[string]string{"app": req.App, "number": req.Number, "ip": req.IP.String(), "time": req.Time.Format(time.RFC3339Nano)}
	var ans struct {
		Decision string `json:"decision"`
		Prefix   string `json:"prefix"`
		Rule     string `json:"rule"`
	}
	if err := c.call(org, "POST", "/api/v1/sms/check", body, &ans); err != nil {
		return sms.Decision{}, err
	}
	v, err := sms.ParseVerdict(ans.Decision)
	return sms.Decision{Decision: v, Prefix: ans.Prefix, Rule: ans.Rule}, err
}

func (c *httpClient) SMSApps(org string) ([]hub.SMSApp, error) {
	var ans struct {
		Apps []hub.SMSApp `json:"apps"`
	}
	err := c.call(org, "GET", "/api/v1/sms/apps", nil, &ans)
	return ans.Apps, err
}

func (c *httpClient) SMSApp(org, app string) (hub.SMSApp, error) {
	var ans hub.SMSApp
	err := c.call(org, "GET", "/api/v1/sms/apps/"+url.PathEscape(app), nil, &ans)
	return ans, err
}

func (c *httpClient) SMSRelease(org, app, prefix string) (hub.SMSBlock, error) {
	var ans struct {
		Released hub.SMSBlock `json:"released"`
	}
	err := c.call(org, "POST", "/api/v1/sms/blocks/release", map[string]string{"app": app, "prefix": prefix}, &ans)
	return ans.Released, err
}

func (c *httpClient) CreateRulePackage(org string, in hub.RulePackageInput) (hub.SharedPackage, error) {
	var p hub.SharedPackage
	err := c.call(org, "POST", "/api/v1/rule-packages", in, &p)
	return p, err
}

func (c *httpClient) ReviseRulePackage(org, id string, in hub.RulePackageInput) (hub.SharedPackage, error) {
	var p hub.SharedPackage
	err := c.call(org, "PUT", "/api/v1/rule-packages/"+url.PathEscape(id), in, &p)
	return p, err
}

func (c *httpClient) RevokeRulePackage(org, id, reason string) (hub.SharedPackage, error) {
	var p hub.SharedPackage
	err := c.call(org, "DELETE", "/api/v1/rule-packages/"+url.PathEscape(id)+"?reason="+url.QueryEscape(reason), nil, &p)
	return p, err
}

func (c *httpClient) GetRulePackage(org, id string, version int) (hub.SharedPackage, error) {
	path := "/api/v1/rule-packages/" + url.PathEscape(id)
	if version > 0 {
		path += "?version=" + strconv.Itoa(version)
	}
	var p hub.SharedPackage
	err := c.call(org, "GET", path, nil, &p)
	return p, err
}

func (c *httpClient) ListRulePackages(org string) ([]hub.SharedPackage, error) {
	var ans struct {
		RulePackages []hub.SharedPackage `json:"rule_packages"`
	}
	err := c.call(org, "GET", "/api/v1/rule-packages", nil, &ans)
	return ans.RulePackages, err
}
