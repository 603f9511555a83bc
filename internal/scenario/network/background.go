package network

import (
	"math/rand/v2"
	"time"

	"fusion/internal/zeek"
)

// Background traffic: connections arrive as a Poisson process whose rate
// follows the office rhythm (see level); each is drawn from a mix of
// categories with these weights. At the weekday peak a host starts
// peakRate connections a second; over a weekday that makes about 8,500
// connections and 7,000 DNS lookups (each also a conn.log row) per host,
// a tenth of that on a weekend day.
const peakRate = 0.22

type category uint8

const (
	catHTTPS category = iota
	catQUIC
	catHTTP
	catProxy
	catSMB
	catKerberos
	catLDAP
	catIMAPS
	catNTP
	catSSH
	catDNS
	catFailed
	catSMTP  // from the mail relay
	catDCNTP // from the domain controller
	numCategories
)

var categoryWeights = [numCategories]float64{
	catHTTPS: 60, catQUIC: 5, catHTTP: 7, catProxy: 2, catSMB: 7, catKerberos: 3, catLDAP: 2,
	catIMAPS: 2, catNTP: 0.5, catSSH: 0.5, catDNS: 3, catFailed: 1.5, catSMTP: 0.4, catDCNTP: 0.05,
}

var categoryPick = func() alias { return newAlias(categoryWeights[:]) }()

// background generates the slice [from, to) of normal traffic: a Poisson
// process at the rate of the slice's middle, drawn in time order (which
// keeps the sort of the slice cheap).
func (g *gen) background(from, to int64) {
	r := g.bg
	rate := float64(g.hosts) * peakRate * level(ts(from+(to-from)/2)) / 1e6 // per microsecond
	if rate <= 0 {
		return
	}
	mean := 1 / rate
	for t := float64(from) + r.ExpFloat64()*mean; t < float64(to); t += r.ExpFloat64() * mean {
		o := g.hostPick.pick(r)
		if g.excluded[o] {
			continue
		}
		g.event(r, int64(t), o, category(categoryPick.pick(r)))
	}
}

// event generates one background connection of category cat from host o.
func (g *gen) event(r *rand.Rand, us int64, o int, cat category) {
	p := g.pop
	switch cat {
	case catHTTPS:
		g.https443(r, us, o, p.service(r))
	case catQUIC:
		i := p.service(r)
		us = g.resolve(r, us, o, i)
		c := g.conn(us, g.origin(o), ephemeral(r), p.dests[i].addr, 443, "udp", "quic")
		ob, rb := int64(logNormal(r, 4000, 1, 1300, 5e6)), int64(logNormal(r, 30000, 1.5, 1200, 5e8))
		datagram(c, ob, rb, seconds(logNormal(r, 2, 1.5, 0.01, 3600)))
		c.OrigPkts, c.RespPkts = ob/1200+2, rb/1200+2
		c.OrigIPBytes, c.RespIPBytes = ob+c.OrigPkts*udpOverhead, rb+c.RespPkts*udpOverhead
	case catHTTP:
		g.plainHTTP(r, us, o, p.service(r))
	case catProxy:
		g.proxyConnect(r, us, o, p.service(r))
	case catSMB:
		if i := p.internal(intFiles); i >= 0 {
			us = g.resolve(r, us, o, i)
			c := g.conn(us, g.origin(o), ephemeral(r), fileServer, 445, "tcp", "smb")
			tcpState(r, c, int64(logNormal(r, 3000, 1.8, 200, 5e8)), int64(logNormal(r, 20000, 2, 200, 2e9)),
				seconds(logNormal(r, 30, 2, 0.01, 8*3600)))
		}
	case catKerberos:
		if i := p.internal(intDC); i >= 0 {
			us = g.resolve(r, us, o, i)
			c := g.conn(us, g.origin(o), ephemeral(r), dcAddr, 88, "udp", "krb")
			datagram(c, int64(between(r, 1400, 1900)), int64(between(r, 1300, 1700)), seconds(uniform(r, 0.0005, 0.004)))
		}
	case catLDAP:
		if i := p.internal(intDC); i >= 0 {
			us = g.resolve(r, us, o, i)
			c := g.conn(us, g.origin(o), ephemeral(r), dcAddr, 389, "tcp", "ldap")
			tcpState(r, c, int64(logNormal(r, 800, 0.8, 100, 1e6)), int64(logNormal(r, 3000, 1, 100, 1e7)),
				seconds(logNormal(r, 0.05, 1.5, 0.001, 600)))
		}
	case catIMAPS:
		if i := p.of(r, dMail); i >= 0 {
			us = g.resolve(r, us, o, i)
			c := g.conn(us, g.origin(o), ephemeral(r), p.dests[i].addr, 993, "tcp", "ssl")
			tcpState(r, c, int64(logNormal(r, 2000, 1, 300, 1e7)), int64(logNormal(r, 15000, 1.8, 300, 1e9)),
				seconds(logNormal(r, 60, 2, 0.1, 4*3600)))
			g.tlsHello(r, c, p.dests[i].name, tlsBrowser)
		}
	case catNTP:
		c := g.conn(us, g.origin(o), 123, dcAddr, 123, "udp", "ntp")
		datagram(c, 48, 48, seconds(uniform(r, 0.0002, 0.002)))
	case catSSH:
		if o%40 != 0 { // only administrators use SSH
			g.https443(r, us, o, p.service(r))
			return
		}
		if i := p.internal(intJump); i >= 0 {
			us = g.resolve(r, us, o, i)
			c := g.conn(us, g.origin(o), ephemeral(r), jumpHost, 22, "tcp", "ssh")
			tcpState(r, c, int64(logNormal(r, 20000, 1.5, 2000, 1e8)), int64(logNormal(r, 60000, 1.5, 2000, 1e9)),
				seconds(logNormal(r, 600, 1.5, 1, 8*3600)))
		}
	case catDNS:
		g.lookupOnly(r, us, o)
	case catFailed:
		if i := p.of(r, dDead); i >= 0 {
			ports := [...]uint16{443, 443, 80, 8080, 8443, 3389, 445, 5228}
			c := g.conn(us, g.origin(o), ephemeral(r), p.dests[i].addr, ports[r.IntN(len(ports))], "tcp", "")
			if r.IntN(3) == 0 {
				refused(r, c)
			} else {
				unanswered(r, c)
			}
		}
	case catSMTP:
		if i := p.of(r, dMX); i >= 0 {
			o := g.hosts + originMailRelay
			us = g.resolve(r, us, o, i)
			c := g.conn(us, mailRelay, ephemeral(r), p.dests[i].addr, 25, "tcp", "smtp")
			tcpState(r, c, int64(logNormal(r, 30000, 1.5, 500, 5e7)), int64(logNormal(r, 600, 0.3, 200, 5000)),
				seconds(logNormal(r, 1.5, 1, 0.05, 300)))
		}
	case catDCNTP:
		if i := p.of(r, dNTP); i >= 0 {
			o := g.hosts + originDC
			us = g.resolve(r, us, o, i)
			c := g.conn(us, dcAddr, 123, p.dests[i].addr, 123, "udp", "ntp")
			datagram(c, 48, 48, seconds(uniform(r, 0.005, 0.08)))
		}
	}
}

// https443 is a TLS connection to a web service.
func (g *gen) https443(r *rand.Rand, us int64, o int, i int32) {
	us = g.resolve(r, us, o, i)
	c := g.conn(us, g.origin(o), ephemeral(r), g.pop.dests[i].addr, 443, "tcp", "ssl")
	tcpState(r, c, int64(logNormal(r, 1500, 1, 300, 5e8)), int64(logNormal(r, 9000, 1.6, 200, 2e9)),
		seconds(logNormal(r, 1.2, 1.5, 0.005, 3600)))
	g.tlsHello(r, c, g.pop.dests[i].name, tlsBrowser)
}

// lookupOnly is a DNS query no connection follows: a prefetch, a name that
// does not exist, or an internal name.
func (g *gen) lookupOnly(r *rand.Rand, us int64, o int) {
	p := g.pop
	switch x := r.IntN(10); {
	case x < 2:
		if i := p.of(r, dNX); i >= 0 {
			g.lookup(r, us, o, p.dests[i].name, qtypeA, rcodeNX, nil, nil, 0)
		}
	case x < 4:
		if i := p.internal(r.IntN(len(p.byKind[dInternal]))); i >= 0 {
			d := &p.dests[i]
			g.lookup(r, us, o, d.name, qtypeA, rcodeOK, d.answers, d.ttls, d.respLen)
		}
	default:
		d := &p.dests[p.service(r)]
		g.lookup(r, us, o, d.name, qtypeA, rcodeOK, d.answers, d.ttls, d.respLen)
	}
}

// HTTP status lines of plain-HTTP responses.
var statuses = []struct {
	code int64
	msg  string
	body bool
}{
	{200, "OK", true}, {200, "OK", true}, {200, "OK", true}, {200, "OK", true}, {200, "OK", true},
	{200, "OK", true}, {200, "OK", true}, {304, "Not Modified", false}, {301, "Moved Permanently", true},
	{302, "Found", true}, {404, "Not Found", true}, {204, "No Content", false},
}

var emptySet = []string{}

// mimeOf holds shared one-element MIME type lists, so that rows do not
// allocate one each. It is read-only after init.
var mimeOf = func() map[string][]string {
	m := map[string][]string{}
	for _, t := range []string{"text/html", "application/javascript", "text/css", "image/png", "image/jpeg",
		"image/gif", "application/json", "application/vnd.ms-cab-compressed", "application/pkix-crl",
		"image/x-icon", "application/octet-stream"} {
		m[t] = []string{t}
	}
	return m
}()

func mimeSlice(t string) []string {
	if s, ok := mimeOf[t]; ok {
		return s
	}
	return []string{t}
}

// plainHTTP is an HTTP/1.1 connection on port 80 with one to three
// requests.
func (g *gen) plainHTTP(r *rand.Rand, us int64, o int, i int32) {
	us = g.resolve(r, us, o, i)
	d := &g.pop.dests[i]
	orig := g.origin(o)
	port := ephemeral(r)
	c := g.conn(us, orig, port, d.addr, 80, "tcp", "http")
	reqs := 1
	if r.IntN(4) == 0 {
		reqs = between(r, 2, 3)
	}
	var ob, rb int64
	at := us + int64(between(r, 1000, 80000))
	for depth := 1; depth <= reqs; depth++ {
		u := g.pop.uris[r.IntN(len(g.pop.uris))]
		st := statuses[r.IntN(len(statuses))]
		h := g.https.add(at)
		*h = zeek.HTTP{
			TS: ts(at), UID: c.UID, OrigH: orig, OrigP: port, RespH: d.addr, RespP: 80,
			TransDepth: int64(depth), Method: "GET", Host: d.name, URI: u.path,
			Version: "1.1", UserAgent: userAgents[splitmix(uint64(o))%uint64(len(userAgents))],
			RequestBodyLen: 0, StatusCode: st.code, StatusMsg: st.msg, InfoCode: zeek.Unset, Tags: emptySet,
		}
		if r.IntN(3) == 0 {
			h.Referrer = "http://" + d.name + "/"
		}
		if r.IntN(40) == 0 {
			h.Method = "POST"
			h.RequestBodyLen = int64(between(r, 100, 8000))
			h.OrigMIMETypes = mimeSlice("application/json")
			h.OrigFUIDs = g.one.of(g.fuids.uid())
		}
		if st.body {
			h.ResponseBodyLen = int64(logNormal(r, 6000, 1.5, 100, 5e7))
			h.RespFUIDs = g.one.of(g.fuids.uid())
			h.RespMIMETypes = mimeSlice(u.mime)
			if st.code != 200 {
				h.ResponseBodyLen = int64(between(r, 150, 400))
				h.RespMIMETypes = mimeSlice("text/html")
			}
		}
		ob += 350 + h.RequestBodyLen
		rb += 250 + h.ResponseBodyLen
		at += int64(logNormal(r, 80000, 1, 1000, 5e6))
	}
	established(c, ob, rb, time.Duration(at-us)*time.Microsecond, "ShADadFf")
}

// proxyConnect is a TLS tunnel through the proxy: an http.log CONNECT row
// and a long connection to the proxy.
func (g *gen) proxyConnect(r *rand.Rand, us int64, o int, i int32) {
	pi := g.pop.internal(intProxy)
	if pi < 0 {
		g.https443(r, us, o, i)
		return
	}
	us = g.resolve(r, us, o, pi)
	d := &g.pop.dests[i]
	orig := g.origin(o)
	port := ephemeral(r)
	c := g.conn(us, orig, port, proxyAddr, 3128, "tcp", "http,ssl")
	established(c, int64(logNormal(r, 2500, 1, 400, 5e8)), int64(logNormal(r, 12000, 1.6, 300, 2e9)),
		seconds(logNormal(r, 5, 1.5, 0.05, 3600)), "ShADadFf")
	at := us + int64(between(r, 500, 5000))
	h := g.https.add(at)
	*h = zeek.HTTP{
		TS: ts(at), UID: c.UID, OrigH: orig, OrigP: port, RespH: proxyAddr, RespP: 3128,
		TransDepth: 1, Method: "CONNECT", Host: d.name, URI: d.name + ":443", Version: "1.1",
		UserAgent:      userAgents[splitmix(uint64(o))%uint64(len(userAgents))],
		RequestBodyLen: 0, ResponseBodyLen: 0, StatusCode: 200, StatusMsg: "Connection established",
		InfoCode: zeek.Unset, Tags: emptySet,
	}
	// Zeek follows the tunnel into TLS: an ssl.log row on the proxy
	// connection's uid, with the service's name.
	g.tlsHello(r, c, d.name, tlsBrowser)
}
