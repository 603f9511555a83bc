// Package network generates the "network" scenario kind: the Zeek logs of
// an enterprise network — conn.log, dns.log, http.log and ssl.log — with
// command-and-control beacons, bulletin-board polling, DNS tunnels, long
// connections, Tor use and contacts with known-bad indicators hidden in
// normal traffic and in benign periodic services.
//
// # Output
//
// conn.log, dns.log, http.log and ssl.log in Zeek's default TSV form
// (--format tsv) or its JSON-lines form (--format jsonl), with Zeek 6.0's
// default fields (see package zeek); each file is in time order.
// truth.jsonl holds one line per injected activity:
//
//	c2-beacon        one per infected host; entity the host's address
//	c2-poll          one per polling host; entity the host's address
//	c2-dns           one per tunnelling host; entity the host's address
//	long-connection  one per host holding a long connection; entity the
//	                 host's address
//	tor-use          one per Tor session; entity the host's address
//	intel-contact    one per contacted indicator value per episode; entity
//	                 the value as the indicator set holds it (canonical)
//
// start and end are the first and last time the entity shows in the logs
// for that activity (the ts of the first and last evidence row; a single
// long connection has start = end, its ts, and says when it ended in
// Detail "ends"). Detail says where the activity went (destination,
// period, domain, guard relay, ...).
//
// benign.jsonl holds one line per benign periodic service (see benign.go):
// its names, addresses, port, protocol, period and how many hosts ran it.
// These are not in the truth: a detector that reports them is wrong.
//
// # The enterprise
//
// --hosts client hosts (default 200) at 10.10.0.20 onwards, 200 per /24,
// and a few servers in 10.0.0.0/24: two DNS resolvers (10.0.0.10 and .11),
// a domain controller (.5, Kerberos, LDAP, NTP), a file server (.30, SMB), a
// mail relay (.25, SMTP out), a proxy (.8, port 3128) and an SSH jump host
// (.40). The enterprise's own names are under a generated domain.
//
// Time runs for --days days (default 1) from --start (default Monday
// 2026-11-02 00:00 UTC), in UTC office hours: the connection rate of a host
// peaks at 0.22 a second on weekday mornings and afternoons, dips at lunch,
// is a tenth of that at night and lower still at weekends. Hosts differ in
// how busy they are (log-normal). A weekday makes about 8,500 connections
// and 7,000 DNS lookups (each also a conn.log row) per host, and the
// benign periodic services about 1,200 more calls a day: the default run
// writes about 3.4 million conn.log, 1.5 million dns.log, 0.2 million
// http.log and 1.2 million ssl.log rows (a 500-host, 2-day run: 17.4, 7.7,
// 1.1 and 6.2 million, 4.8 GB of TSV).
//
// Destinations are drawn by popularity (Zipf, s=1) from a synthetic
// population of 2,000 + 30 per host web services (at most 150,000), each a
// generated name on a real top-level domain with an address in public IPv4
// space, some sharing an address, a fifth behind CDN CNAMEs. A host looks a
// name up at its resolver (dns.log: an A answer with address and TTL, and
// sometimes an AAAA query with none) before connecting, unless it did so
// within the TTL. The mix is TLS on 443 (60%), QUIC, plain HTTP on 80 with
// http.log rows, CONNECT through the proxy, SMB, Kerberos, LDAP, IMAPS,
// NTP, SSH for administrators, lookups with no connection (some NXDOMAIN),
// unanswered and refused connections, and the relay's SMTP. TCP
// connections are mostly SF with the usual histories, some reset, some
// unanswered (S0) or refused (REJ); byte counts and durations are
// log-normal with heavy tails. Connection uids ("C" and 17 base62
// characters) are shared between a connection and its dns.log, http.log or
// ssl.log rows. Every TLS connection (HTTPS, IMAPS, CONNECT tunnels
// through the proxy, beacons, Tor, benign agents) has an ssl.log row with
// the name the client sent (server_name): mostly TLS 1.3 with ALPN from
// browsers, TLS 1.2 with a certificate chain otherwise.
//
// # Injected activities
//
// By default about 2% of hosts beacon (at least one): every 10 seconds to
// an hour (log-uniform) with up to 30% jitter, some with long random
// sleeps now and then, some only in office hours (they sleep overnight and
// at weekends), some with widely varying sizes (see beacon.go), to a C2
// server on 443, 8443 or 8080 over TLS with a name in the handshake; a
// sixth of the C2 servers resolve to two to four addresses (a CDN or
// fronting) that the beacon uses in turn. About 1% of hosts (at least one)
// poll a bulletin board over plain HTTP every 5 to 30 minutes with 2 to
// 15% jitter, some only in office hours: a GET of the same read.cgi
// thread URI with an old Internet Explorer user agent or the host's own
// browser's, as the remote-control malware of the 2012 Japanese
// false-arrest cases read its commands from a board; three to eight other
// hosts read the same board at human times. About 1% of hosts (at least
// one) tunnel through DNS (dnstunnel.go) and 1% hold a connection, or a
// chain of them, to one address for 2 to 16 hours (longconn.go): a run of
// 500 hosts has 10 beacons and 5 of each of the others. With
// --tor-consensus, about 2% of hosts (at least one) use Tor: sessions of
// 20 minutes to 4 hours (0.7 a day, at least one), keeping a TLS
// connection to the address and ORPort of a guard relay of that
// consensus, and sometimes one to another relay. With --intel, hosts
// contact values of that intel scenario's records.jsonl (see intel.go) in
// episodes, 0.025 per host and day, at least three.
//
// # Benign periodic services
//
// Most hosts also run software that calls home on a timer: NTP to public
// pool servers (every 1024 s, a few every 64 s), OS and software update
// checks (every 4 and 6 hours), telemetry (15 min), an antivirus cloud
// (5 min), safe-browsing updates (30 min), the enterprise's monitoring
// agent polling its server (2 min), and push-notification connections held
// for 28 minutes and renewed; each is looked up by name before use. Many
// hosts also ask a reputation service about file hashes in DNS (hex
// labels as long as a tunnel's under one domain, a few a working hour):
// the hard negative for a DNS-tunnel detector.
//
// # Memory and speed
//
// Generation streams: time is cut into slices (a minute, or less for large
// enterprises, so that a slice holds about 65,536 rows); each slice's rows
// are generated, sorted by time and written. Memory depends on the number
// of hosts (a few bytes each) and the destination population, not on the
// number of days. Randomness comes only from the run's streams: the same
// seed and flags give the same bytes.
package network

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"fusion/internal/scenario"
	"fusion/internal/zeek"
)

// Kind is the network scenario kind.
var Kind = scenario.Kind{
	Name:     "network",
	Summary:  "enterprise Zeek logs with C2 beacons, board polling, DNS tunnels, long connections, Tor use and intel contacts (conn.log, dns.log, http.log, ssl.log, benign.jsonl)",
	Defaults: defaults,
	Check:    check,
	Generate: generate,
}

func init() { scenario.Register(Kind) }

// Sizes; see the package documentation.
const (
	DefaultHosts = 200
	DefaultDays  = 1
	// MaxHosts bounds --hosts.
	MaxHosts = 1_000_000
	// MaxDays bounds --days.
	MaxDays = 3660
	// DefaultIntelRate is how many intel-contact episodes a host starts
	// per day (five a day in the default run).
	DefaultIntelRate = 0.025
	// MaxIntelRate bounds --intel-rate.
	MaxIntelRate = 100

	// rowsPerSlice is about how many rows a time slice holds at the peak.
	rowsPerSlice = 65536
	maxSlice     = int64(time.Minute / time.Microsecond)
	minSlice     = int64(10 * time.Millisecond / time.Microsecond)
	// hostSigma spreads how busy hosts are.
	hostSigma = 0.8
)

func defaults(p *scenario.Params) {
	if p.Hosts == 0 {
		p.Hosts = DefaultHosts
	}
	if p.Days == 0 {
		p.Days = DefaultDays
	}
	if p.Format == "" {
		p.Format = "tsv"
	}
	if p.Intel != "" && p.IntelRate == 0 {
		p.IntelRate = DefaultIntelRate
	}
}

func check(p *scenario.Params) error {
	if p.Hosts < 1 || p.Hosts > MaxHosts {
		return fmt.Errorf("--hosts %d: the network kind needs 1 to %d hosts", p.Hosts, MaxHosts)
	}
	if p.IntelRate < 0 || p.IntelRate > MaxIntelRate || p.IntelRate != 0 && p.Intel == "" {
		return fmt.Errorf("--intel-rate %g: needs --intel and a rate from 0 to %d episodes per host and day", p.IntelRate, MaxIntelRate)
	}
	if p.Days < 1 || p.Days > MaxDays {
		return fmt.Errorf("--days %d: the network kind needs 1 to %d days", p.Days, MaxDays)
	}
	if p.Format != "tsv" && p.Format != "jsonl" {
		return fmt.Errorf("--format %q: the network kind writes tsv or jsonl", p.Format)
	}
	return nil
}

// shares holds how many hosts carry each injected activity.
type shares struct {
	beacons, polls, tunnels, longConns, torUsers int
}

// counts returns how many hosts beacon, poll, tunnel through DNS, hold a
// long connection and use Tor: a share of the hosts, at least one each.
func counts(hosts int) shares {
	share := func(s float64) int { return max(1, int(math.Round(s*float64(hosts)))) }
	return shares{
		beacons: share(beaconShare), polls: share(pollShare), tunnels: share(dnsTunnelShare),
		longConns: share(longConnShare), torUsers: share(torShare),
	}
}

func generate(ctx context.Context, run *scenario.Run) error {
	p := run.Params
	form := zeek.TSV
	if p.Format == "jsonl" {
		form = zeek.JSON
	}
	g := &gen{
		run: run, hosts: p.Hosts,
		startUS: p.Start.UnixMicro(),
		endUS:   p.Start.Add(time.Duration(p.Days) * 24 * time.Hour).UnixMicro(),
	}
	n := counts(p.Hosts)
	g.pop = buildPopulation(run.Rand("network/population"), poolSizes{
		services: min(2000+30*p.Hosts, 150_000), c2: n.beacons + n.longConns + 16, forums: n.polls + 4,
		tunnels: n.tunnels + 4,
	})
	if p.TorConsensus != "" {
		sum, err := g.pop.addRelays(p.TorConsensus)
		if err != nil {
			return err
		}
		run.Input(p.TorConsensus, sum)
	}
	var vals []intelValue
	if p.Intel != "" {
		var err error
		if vals, err = g.loadIntel(p.Intel); err != nil {
			return err
		}
	} else {
		g.pop.finish()
	}
	hr := run.Rand("network/hosts")
	weights := make([]float64, p.Hosts)
	for i := range weights {
		weights[i] = math.Exp(hostSigma * hr.NormFloat64())
	}
	g.hostPick = newAlias(weights)
	g.cache = newDNSCache(p.Hosts, g.startUS)
	g.bg = run.Rand("network/background")
	g.uids = uidPool{r: run.Rand("network/uid"), prefix: 'C'}
	g.certs = certChains{}
	g.fuids = uidPool{r: run.Rand("network/fuid"), prefix: 'F'}

	taken := map[int]bool{}
	g.scheduleBeacons(n.beacons, n.polls, taken)
	g.scheduleDNSTunnels(n.tunnels, taken)
	g.scheduleLongConns(n.longConns, taken)
	if p.TorConsensus != "" {
		g.scheduleTor(n.torUsers, taken)
	}
	g.scheduleBenign()
	g.scheduleIntel(vals)

	var ws [4]*zeek.Writer
	for i, l := range []zeek.Log{zeek.ConnLog, zeek.DNSLog, zeek.HTTPLog, zeek.SSLLog} {
		w, err := run.Create(l.Path() + ".log")
		if err != nil {
			return err
		}
		ws[i] = zeek.NewWriter(w, l, form, p.Start)
	}
	bar := run.Bar("network", int64(p.Days)*24*60, "min")
	defer bar.Finish()
	if err := g.run1(ctx, ws, bar.Add); err != nil {
		return err
	}
	if err := g.writeBenign(); err != nil {
		return err
	}
	end := ts(g.endUS)
	return errors.Join(ws[0].Close(end), ws[1].Close(end), ws[2].Close(end), ws[3].Close(end))
}

// sliceLength returns the length of a time slice for this many hosts.
func sliceLength(hosts int) int64 {
	perSecond := float64(hosts) * peakRate * 3 // rows of all three logs: lookups, requests
	return min(max(int64(rowsPerSlice/perSecond*1e6), minSlice), maxSlice)
}

// run1 generates every slice and writes it.
func (g *gen) run1(ctx context.Context, ws [4]*zeek.Writer, progress func(int64)) error {
	step := sliceLength(g.hosts)
	minutes := int64(0)
	for from := g.startUS; from < g.endUS; from += step {
		if err := ctx.Err(); err != nil {
			return err
		}
		to := min(from+step, g.endUS)
		g.background(from, to)
		if err := g.runActivities(to); err != nil {
			return err
		}
		if err := g.flush(ws, from, to); err != nil {
			return err
		}
		if m := (to - g.startUS) / 60e6; m > minutes {
			progress(m - minutes)
			minutes = m
		}
	}
	// Rows that would fall after the end are dropped.
	g.conns.drop()
	g.dnss.drop()
	g.https.drop()
	g.ssls.drop()
	return nil
}

func (g *gen) flush(ws [4]*zeek.Writer, from, to int64) error {
	return errors.Join(
		g.conns.flush(from, to, ws[0].WriteConn),
		g.dnss.flush(from, to, ws[1].WriteDNS),
		g.https.flush(from, to, ws[2].WriteHTTP),
		g.ssls.flush(from, to, ws[3].WriteSSL),
	)
}
