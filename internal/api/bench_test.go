package api_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/store"
	"fusion/internal/store/storetest"
)

// ingestBatches returns n realistic records as JSON bodies of batch records each:
// a mix of domains, URLs, addresses and hashes, labelled, amber to a named
// organization and a group, some written defanged as analysts paste them.
func ingestBatches(n, batch int) [][]byte {
	var out [][]byte
	for start := 0; start < n; start += batch {
		recs := make([]map[string]any, 0, batch)
		for i := start; i < min(start+batch, n); i++ {
			r := map[string]any{"tlp": "amber", "labels": []string{"phishing", "phishing-kit"}, "confidence": 80,
				"audience":    map[string]any{"orgs": []string{"org-b"}, "groups": []string{"grp-ab"}},
				"description": "lookalike domain served by a phishing kit panel", "first_seen": "2026-11-01T10:00:00Z"}
			switch i % 4 {
			case 0:
				r["value"] = fmt.Sprintf("alphasavings-login-%d.example[.]com", i)
			case 1:
				r["value"] = fmt.Sprintf("hxxps://secure-%d.example.net/alpha/login.php?id=%d", i, i)
			case 2:
				r["value"] = fmt.Sprintf("198.51.%d.%d", (i/250)%256, i%250+1)
				r["labels"] = []string{"botnet-c2"}
			case 3:
				r["value"] = fmt.Sprintf("%064x", i*2654435761)
				r["labels"] = []string{"malware"}
			}
			recs = append(recs, r)
		}
		b, _ := json.Marshal(map[string]any{"records": recs})
		out = append(out, b)
	}
	return out
}

const ingestN = 100000

// benchmarkIngest posts 100,000 records in batches of 10,000 over HTTP,
// keeping inFlight requests open at once, to a hub with a match index as
// serve runs it (each committed record is put into the index).
func benchmarkIngest(b *testing.B, open func(testing.TB) *store.Store, inFlight int) {
	bodies := ingestBatches(ingestN, 10000)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		f := newFixtureOn(b, open(b))
		if err := f.hub.EnableMatching(match.New(ingestN), bytes.Repeat([]byte{5}, 32), hub.DefaultLimits); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		work := make(chan []byte)
		var wg sync.WaitGroup
		for range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for body := range work {
					postBatch(b, f, body)
				}
			}()
		}
		for _, body := range bodies {
			work <- body
		}
		close(work)
		wg.Wait()
	}
	b.ReportMetric(float64(ingestN*b.N)/b.Elapsed().Seconds(), "records/s")
}

func postBatch(b *testing.B, f *fixture, body []byte) {
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/records", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.tokens["org-a"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	var ans struct{ Created, Failed int }
	json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if resp.StatusCode != 200 || ans.Failed != 0 {
		b.Errorf("status %d, %d failed", resp.StatusCode, ans.Failed)
	}
}

func BenchmarkIngestSQLite(b *testing.B)          { benchmarkIngest(b, storetest.SQLite, 1) }
func BenchmarkIngestSQLite2InFlight(b *testing.B) { benchmarkIngest(b, storetest.SQLite, 2) }
func BenchmarkIngestPostgres(b *testing.B)        { benchmarkIngest(b, storetest.Postgres, 1) }

// benchmarkBaseline is the storage floor: the same number of records, already
// canonical and encoded, written straight into the store in the same batches
// — no HTTP, JSON decoding, canonicalization, validation or policy — with
// their evidence leaves when withEvidence is set.
func benchmarkBaseline(b *testing.B, open func(testing.TB) *store.Store, withEvidence bool) {
	recs := make([]store.Encoded, ingestN)
	for i := range recs {
		r := &intel.Record{ID: fmt.Sprintf("01a20a00-0000-7000-8000-%012d", i), Type: "domain", Value: fmt.Sprintf("alphasavings-login-%d.example.com", i),
			Labels: []string{"phishing", "phishing-kit"}, Confidence: 80, TLP: intel.Amber, Originator: "org-a", Version: 1,
			Audience: intel.Audience{Orgs: []string{"org-b"}, Groups: []string{"grp-ab"}}, Description: "lookalike domain served by a phishing kit panel"}
		var err error
		if recs[i], err = store.Encode(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st := open(b)
		f := newFixtureOn(b, st)
		b.StartTimer()
		ev := evidence.New(st, f.hub.Evidence().Notary(), evidence.Config{})
		for start := 0; start < ingestN; start += 10000 {
			err := st.Update(context.Background(), func(tx *store.Tx) error {
				batch := recs[start : start+10000]
				if err := tx.InsertRecords(batch); err != nil || !withEvidence {
					return err
				}
				var leaves []evidence.Leaf // one per chunk of 256, as the hub writes them
				for i, e := range batch {
					if i%256 == 0 {
						leaves = append(leaves, evidence.Leaf{Org: "org-a", Token: "tok-0123456789abcdef", Action: evidence.RecordCreate})
					}
					l := &leaves[len(leaves)-1]
					l.Objects = append(l.Objects, evidence.Object{Kind: evidence.KindRecord, ID: e.Record.ID, Owner: "org-a", SHA256: hex.EncodeToString(e.Sum[:])})
				}
				return ev.Append(tx, leaves...)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(ingestN*b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkIngestBaselineSQLite(b *testing.B)   { benchmarkBaseline(b, storetest.SQLite, true) }
func BenchmarkIngestBaselinePostgres(b *testing.B) { benchmarkBaseline(b, storetest.Postgres, true) }

// BenchmarkIngestRecordsOnlySQLite is the floor without evidence leaves:
// what the evidence log costs at the storage level.
func BenchmarkIngestRecordsOnlySQLite(b *testing.B) { benchmarkBaseline(b, storetest.SQLite, false) }

// BenchmarkHits100k times one hit/no-hit request of 100,000 values end to
// end over HTTP (encode, canonicalize, look up, read the visible records,
// log the query and the disclosures), against an index of 100,000 records:
// half the values are held and visible in full to the caller, half are
// not held at all.
func BenchmarkHits100k(b *testing.B) {
	f := newFixture(b)
	for _, body := range ingestBatches(ingestN, 10000) {
		postBatch(b, f, body)
	}
	ix := match.New(ingestN)
	if _, err := f.hub.NewFeed(ix, nil).Load(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	if err := f.hub.EnableMatching(ix, bytes.Repeat([]byte{5}, 32), hub.Limits{HitRequests: 1 << 30, HitValues: 1 << 30, Lookups: 1 << 30}); err != nil {
		b.Fatal(err)
	}
	values := make([]string, 0, hub.MaxHitValues)
	for i := 0; len(values) < hub.MaxHitValues; i += 2 {
		values = append(values, fmt.Sprintf("alphasavings-login-%d.example.com", i*4), fmt.Sprintf("absent-%d.example.org", i))
	}
	body, _ := json.Marshal(map[string]any{"values": values})
	for b.Loop() {
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/hits", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.tokens["org-b"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var ans struct {
			Results []struct {
				Records []json.RawMessage `json:"records"`
			} `json:"results"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(ans.Results) != len(values) || len(ans.Results[0].Records) != 1 || len(ans.Results[1].Records) != 0 {
			b.Fatalf("hits: %d %v (%d results)", resp.StatusCode, err, len(ans.Results))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/request")
}

// BenchmarkLookupHiddenVsAbsent times value searches by an organization
// outside every record's audience, over HTTP against 100,000 stored
// records: a value that is held but hidden from it, then one that is not
// held at all, alternating which goes first. Each iteration asks one pair
// with the hub's default least lookup time and one pair without it (the
// baseline), so both run on the same machine at the same moment. It
// reports each median and, for each, the paired difference hidden − absent
// in standard errors (z): how well a prober tells them apart with
// b.N pairs, before the lookup limit (hub.DefaultLimits.Lookups a minute)
// slows it down.
//
//	go test ./internal/api -run '^$' -bench LookupHiddenVsAbsent -benchtime 3000x -count 3
func BenchmarkLookupHiddenVsAbsent(b *testing.B) {
	f := newFixture(b)
	for _, body := range ingestBatches(ingestN, 10000) {
		postBatch(b, f, body)
	}
	unlimited := hub.Limits{HitRequests: 1 << 30, HitValues: 1 << 30, Lookups: 1 << 30}
	padded := unlimited
	padded.LookupTime = hub.DefaultLimits.LookupTime
	lookup := func(value string) float64 {
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/records?value="+value, nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens["org-c"])
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		took := time.Since(start)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(body) != `{"records":[]}`+"\n" {
			b.Fatalf("value %s: %d %q %v", value, resp.StatusCode, body, err)
		}
		return float64(took.Nanoseconds()) / 1e3
	}
	type side struct{ hidden, absent, diff []float64 }
	var base, pad side
	pair := func(s *side, i int) {
		// The same shape, so that only being held differs: domains are held
		// for numbers divisible by 4, never for those 2 more.
		k := (i * 7919 % (ingestN / 4)) * 4
		h := fmt.Sprintf("alphasavings-login-%d.example.com", k)
		a := fmt.Sprintf("alphasavings-login-%d.example.com", k+2)
		var th, ta float64
		if i%2 == 0 {
			th, ta = lookup(h), lookup(a)
		} else {
			ta, th = lookup(a), lookup(h)
		}
		s.hidden, s.absent, s.diff = append(s.hidden, th), append(s.absent, ta), append(s.diff, th-ta)
	}
	i := 0
	for b.Loop() {
		f.hub.SetLimits(unlimited)
		pair(&base, i)
		f.hub.SetLimits(padded)
		pair(&pad, i)
		i++
	}
	median := func(xs []float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2]
	}
	z := func(d []float64) float64 {
		var mean, sq float64
		for _, x := range d {
			mean += x
		}
		mean /= float64(len(d))
		for _, x := range d {
			sq += (x - mean) * (x - mean)
		}
		return mean / max(math.Sqrt(sq/float64(max(1, len(d)-1))/float64(len(d))), 1e-9)
	}
	// signZ is the sign test: how far the share of pairs in which the
	// hidden value was slower is from one half, in standard errors. Unlike
	// z it is not moved by a few long pauses.
	signZ := func(d []float64) float64 {
		slower := 0
		for _, x := range d {
			if x > 0 {
				slower++
			}
		}
		return (float64(slower)/float64(len(d)) - 0.5) / math.Sqrt(0.25/float64(len(d)))
	}
	b.ReportMetric(median(base.hidden), "µs-hidden-base")
	b.ReportMetric(median(base.absent), "µs-absent-base")
	b.ReportMetric(z(base.diff), "z-base")
	b.ReportMetric(signZ(base.diff), "sign-z-base")
	b.ReportMetric(median(pad.hidden), "µs-hidden")
	b.ReportMetric(median(pad.absent), "µs-absent")
	b.ReportMetric(z(pad.diff), "z")
	b.ReportMetric(signZ(pad.diff), "sign-z")
}
