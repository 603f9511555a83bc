package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"fusion/internal/hub"
	"fusion/internal/match"
)

// metrics are what /metrics serves, in a registry of their own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	records  *prometheus.CounterVec
	events   prometheus.Counter
	matches  prometheus.Counter
}

func newMetrics(h *hub.Hub, ix *match.Index) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fusion_http_requests_total", Help: "API requests answered, by route, method and status code.",
	}, []string{"route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "fusion_http_request_duration_seconds", Help: "How long API requests took to answer, by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method"})
	m.records = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fusion_records_submitted_total", Help: "Records submitted through the API, by result (created, updated, unchanged or refused).",
	}, []string{"result"})
	m.events = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "fusion_events_total", Help: "Traffic events received for matching (POST /api/v1/events).",
	})
	m.matches = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "fusion_matches_total", Help: "Matches those events gave (each a sighting of a record).",
	})
	m.reg.MustRegister(m.requests, m.latency, m.records, m.events, m.matches,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fusion_evidence_entries", Help: "Entries in the evidence log.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			n, err := h.EvidenceSize(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fusion_evidence_halted", Help: "1 when the evidence log was found inconsistent and the hub refuses writes and disclosures.",
		}, func() float64 {
			if h.Evidence().Halted() != nil {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "fusion_match_index_records", Help: "Records in the match index.",
		}, func() float64 { return float64(ix.Len()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request counts one API request (api.Observer).
func (m *metrics) Request(method, pattern string, status int, d time.Duration) {
	m.requests.WithLabelValues(pattern, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(pattern, method).Observe(d.Seconds())
}

// Ingested counts submitted records by what became of them (api.Observer).
func (m *metrics) Ingested(created, updated, unchanged, refused int) {
	m.records.WithLabelValues("created").Add(float64(created))
	m.records.WithLabelValues("updated").Add(float64(updated))
	m.records.WithLabelValues("unchanged").Add(float64(unchanged))
	m.records.WithLabelValues("refused").Add(float64(refused))
}

// Matched counts events and matches (api.Observer).
func (m *metrics) Matched(events, matches int) {
	m.events.Add(float64(events))
	m.matches.Add(float64(matches))
}
