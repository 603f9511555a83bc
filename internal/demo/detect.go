package demo

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"fusion/internal/hub"
	"fusion/internal/policy"
	"fusion/internal/zeek"
)

// The demo network: a day of a small office's Zeek logs, written here so
// that, like everything in the demo, no address or name can be a real
// network's (the network scenario draws random public addresses and
// names). Its hosts are in 10.20.0.0/24; everything outside is in the
// documentation ranges and under .example. Among people's browsing:
//
//   - 10.20.0.14 beacons to cdn.update-check.example every 60 s ± 2% for
//     20 hours, over TLS, at the C2 address cert-fr shared with the police
//     (so that the detection is a sighting of that record);
//   - 10.20.0.17 polls a bulletin-board thread on bbs.forum.example every
//     15 minutes ± 3% for 10 office hours, as the 2012 remote-control
//     malware did, while two colleagues read the same board now and then;
//   - 10.20.0.19 tunnels through DNS under t.tunnel.example;
//   - 10.20.0.12 holds an SSH connection to 203.0.113.41 for six hours;
//   - every host asks time.example (192.0.2.123) for the time every 1,024 s.
const demoHosts = 12

// detections writes the demo network's day (yesterday) and posts its logs
// through the hub as sensor, names first (http, ssl), then dns and conn,
// so that police-nl's Detections page and GET /api/v1/detections show
// what a detector finds. It returns the number of detections.
func detections(ctx context.Context, h *hub.Hub, sensor *policy.Caller, now time.Time, c2 netip.Addr) (int, error) {
	day := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	n := newDemoNet(day, c2)
	n.generate()
	if err := n.write(); err != nil {
		return 0, fmt.Errorf("demo network: %w", err)
	}
	var res hub.DetectResult
	for _, log := range []struct {
		name string
		b    *bytes.Buffer
	}{{"http.log", &n.http}, {"ssl.log", &n.ssl}, {"dns.log", &n.dns}, {"conn.log", &n.conn}} {
		zr, err := zeek.NewReader(log.b)
		if err != nil {
			return 0, fmt.Errorf("demo network: %s: %w", log.name, err)
		}
		if res, err = h.Detect(ctx, sensor, zr); err != nil {
			return 0, fmt.Errorf("demo network: %s: %w", log.name, err)
		}
	}
	return res.Detections, nil
}

type demoNet struct {
	day                  time.Time
	c2                   netip.Addr // the beacon's server
	r                    *rand.Rand
	n                    int
	conns                []zeek.Conn
	https                []zeek.HTTP
	ssls                 []zeek.SSL
	dnss                 []zeek.DNS
	conn, http, ssl, dns bytes.Buffer
}

func newDemoNet(day time.Time, c2 netip.Addr) *demoNet {
	return &demoNet{day: day, c2: c2, r: rand.New(rand.NewPCG(2026, 11))}
}

func (n *demoNet) uid() string {
	n.n++
	return fmt.Sprintf("CDemo%013d", n.n)
}

func host(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 20, 0, byte(10 + i)}) }

func (n *demoNet) connect(at time.Time, src, dst netip.Addr, port uint16, proto string, sent, recv int64, dur time.Duration) string {
	uid := n.uid()
	n.conns = append(n.conns, zeek.Conn{
		TS: at, UID: uid, OrigH: src, OrigP: uint16(49152 + n.r.IntN(16000)), RespH: dst, RespP: port, Proto: proto,
		Duration: dur, OrigBytes: sent, RespBytes: recv, ConnState: "SF", LocalOrig: zeek.True, LocalResp: zeek.False,
		History: "ShADadFf", OrigPkts: 4 + sent/1400, OrigIPBytes: sent + 200, RespPkts: 4 + recv/1400, RespIPBytes: recv + 200,
	})
	return uid
}

func (n *demoNet) tls(at time.Time, uid string, src, dst netip.Addr, name string) {
	n.ssls = append(n.ssls, zeek.SSL{TS: at, UID: uid, OrigH: src, OrigP: 50000, RespH: dst, RespP: 443, Version: "TLSv13",
		Cipher: "TLS_AES_128_GCM_SHA256", Curve: "x25519", ServerName: name, Resumed: zeek.False, Established: zeek.True,
		SSLHistory: "CsiI", SNIMatchesCert: zeek.True})
}

func (n *demoNet) get(at time.Time, uid string, src, dst netip.Addr, hostName, uri string, body int64) {
	n.https = append(n.https, zeek.HTTP{TS: at, UID: uid, OrigH: src, OrigP: 50000, RespH: dst, RespP: 80, TransDepth: 1,
		Method: "GET", Host: hostName, URI: uri, Version: "1.1", UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
		ResponseBodyLen: body, StatusCode: 200, StatusMsg: "OK", InfoCode: zeek.Unset, Tags: []string{}})
}

func (n *demoNet) query(at time.Time, src netip.Addr, name, qtype string, answers []string) {
	n.dnss = append(n.dnss, zeek.DNS{TS: at, UID: n.uid(), OrigH: src, OrigP: 53000, RespH: netip.MustParseAddr("10.20.0.2"), RespP: 53,
		Proto: "udp", TransID: int64(n.r.IntN(65536)), RTT: time.Millisecond, Query: name, QClass: 1, QClassName: "C_INTERNET",
		QType: map[string]int64{"A": 1, "TXT": 16}[qtype], QTypeName: qtype, RCode: 0, RCodeName: "NOERROR", RD: zeek.True, RA: zeek.True,
		Answers: answers, Rejected: zeek.False})
}

// periodic returns times from start every period ± jitter (a share) for span.
func (n *demoNet) periodic(start time.Time, span, period time.Duration, jitter float64) []time.Time {
	var out []time.Time
	for at := start; at.Before(start.Add(span)); at = at.Add(time.Duration(float64(period) * (1 + jitter*(2*n.r.Float64()-1)))) {
		out = append(out, at)
	}
	return out
}

func (n *demoNet) generate() {
	sites := []netip.Addr{}
	for i := 1; i < 200; i += 3 {
		for _, a := range []netip.Addr{netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})} {
			if a != n.c2 { // people do not browse the C2 server
				sites = append(sites, a)
			}
		}
	}
	ntp := netip.MustParseAddr("192.0.2.123")
	for i := range demoHosts { // people browsing, in office hours, and the clock
		for at := n.day.Add(8*time.Hour + time.Duration(n.r.IntN(3600))*time.Second); at.Hour() < 18; at = at.Add(time.Duration(n.r.ExpFloat64() * float64(2*time.Minute))) {
			n.connect(at, host(i), sites[n.r.IntN(len(sites))], 443, "tcp", int64(300+n.r.IntN(4000)), int64(2000+n.r.IntN(200000)), time.Duration(n.r.IntN(20000))*time.Millisecond)
		}
		for _, at := range n.periodic(n.day.Add(time.Duration(i)*time.Minute), 24*time.Hour, 1024*time.Second, 0.01) {
			n.connect(at, host(i), ntp, 123, "udp", 48, 48, 30*time.Millisecond)
		}
	}
	c2 := n.c2
	n.query(n.day.Add(2*time.Hour), host(4), "cdn.update-check.example", "A", []string{c2.String()})
	for _, at := range n.periodic(n.day.Add(2*time.Hour), 20*time.Hour, time.Minute, 0.02) {
		uid := n.connect(at, host(4), c2, 443, "tcp", int64(620+n.r.IntN(20)), int64(240+n.r.IntN(30)), 400*time.Millisecond)
		n.tls(at, uid, host(4), c2, "cdn.update-check.example")
	}
	board, thread := netip.MustParseAddr("203.0.113.80"), "/bbs/read.cgi/news/1340000001/l50"
	size := int64(40000)
	for _, at := range n.periodic(n.day.Add(8*time.Hour), 10*time.Hour, 15*time.Minute, 0.03) {
		size += int64(n.r.IntN(500))
		uid := n.connect(at, host(7), board, 80, "tcp", 420, size+300, time.Second)
		n.get(at, uid, host(7), board, "bbs.forum.example", thread, size)
	}
	for i := 0; i < 8; i++ { // colleagues reading the board
		at := n.day.Add(9*time.Hour + time.Duration(n.r.IntN(8*3600))*time.Second)
		uid := n.connect(at, host(1+i%2), board, 80, "tcp", 450, size, time.Second)
		n.get(at, uid, host(1+i%2), board, "bbs.forum.example", thread, size)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for i, at := range n.periodic(n.day.Add(13*time.Hour), 3*time.Hour, 6*time.Second, 0.5) {
		payload := make([]byte, 35)
		for j := range payload {
			payload[j] = byte(n.r.IntN(256))
		}
		label := strings.ToLower(enc.EncodeToString(payload))
		n.query(at, host(9), fmt.Sprintf("%s.%d.t.tunnel.example", label, i), "TXT", nil)
	}
	n.connect(n.day.Add(9*time.Hour), host(2), netip.MustParseAddr("203.0.113.41"), 22, "tcp", 3_400_000, 51_000_000, 6*time.Hour)
}

// write sorts each log by time and writes it in Zeek's TSV form.
func (n *demoNet) write() error {
	slices.SortStableFunc(n.conns, func(a, b zeek.Conn) int { return a.TS.Compare(b.TS) })
	slices.SortStableFunc(n.https, func(a, b zeek.HTTP) int { return a.TS.Compare(b.TS) })
	slices.SortStableFunc(n.ssls, func(a, b zeek.SSL) int { return a.TS.Compare(b.TS) })
	slices.SortStableFunc(n.dnss, func(a, b zeek.DNS) int { return a.TS.Compare(b.TS) })
	end := n.day.Add(24 * time.Hour)
	w := zeek.NewWriter(&n.conn, zeek.ConnLog, zeek.TSV, n.day)
	for i := range n.conns {
		if err := w.WriteConn(&n.conns[i]); err != nil {
			return err
		}
	}
	if err := w.Close(end); err != nil {
		return err
	}
	w = zeek.NewWriter(&n.http, zeek.HTTPLog, zeek.TSV, n.day)
	for i := range n.https {
		if err := w.WriteHTTP(&n.https[i]); err != nil {
			return err
		}
	}
	if err := w.Close(end); err != nil {
		return err
	}
	w = zeek.NewWriter(&n.ssl, zeek.SSLLog, zeek.TSV, n.day)
	for i := range n.ssls {
		if err := w.WriteSSL(&n.ssls[i]); err != nil {
			return err
		}
	}
	if err := w.Close(end); err != nil {
		return err
	}
	w = zeek.NewWriter(&n.dns, zeek.DNSLog, zeek.TSV, n.day)
	for i := range n.dnss {
		if err := w.WriteDNS(&n.dnss[i]); err != nil {
			return err
		}
	}
	return w.Close(end)
}
