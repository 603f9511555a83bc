package network

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
)

// Names are made of pronounceable syllables and a few trade words on real
// top-level domains, so that every one is a canonical, registrable domain
// (observable's rules: lowercase LDH labels under a public suffix) without
// naming a real company on purpose.

var (
	onsets = []string{"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z",
		"br", "ch", "cl", "dr", "fl", "gr", "kr", "pl", "sh", "st", "tr"}
	vowels = []string{"a", "e", "i", "o", "u", "a", "e", "o", "ai", "ou"}
	codas  = []string{"", "", "", "", "n", "r", "s", "x", "l", "m"}
	trades = []string{"news", "cloud", "shop", "soft", "media", "labs", "app", "tech", "online",
		"mail", "bank", "travel", "games", "data", "hub", "store", "press", "works", "net", "stream",
		"market", "health", "energy", "sports", "weather", "finance", "music", "video", "social", "maps"}
	subdomains = []string{"www", "www", "www", "api", "cdn", "static", "img", "login", "m", "app",
		"assets", "update", "telemetry", "edge", "content"}
	// tlds are public suffixes with rough weights (repeats).
	tlds = []string{"com", "com", "com", "com", "com", "com", "com", "com", "net", "net", "org",
		"io", "de", "fr", "jp", "co.jp", "co.uk", "com.au", "nl", "it", "es", "info", "eu", "ch",
		"se", "pl", "ca", "com.br", "in", "us", "at", "be", "dk", "no", "fi", "ie", "cz", "pt"}
	cdnBrands = []string{"edgecast", "fastserve", "akamora", "cloudfrontal", "stackcdn", "quickcache"}
)

// word returns a pronounceable word of two to four syllables.
func word(r *rand.Rand) string {
	var b strings.Builder
	n := 2 + r.IntN(3)
	for i := range n {
		b.WriteString(onsets[r.IntN(len(onsets))])
		b.WriteString(vowels[r.IntN(len(vowels))])
		if i == n-1 {
			b.WriteString(codas[r.IntN(len(codas))])
		}
	}
	return b.String()
}

// registrable returns a name such as "melira.com", "kabuto-news.de" or
// "drosoft.co.uk".
func registrable(r *rand.Rand) string {
	w := word(r)
	switch r.IntN(4) {
	case 0:
		w += "-" + trades[r.IntN(len(trades))]
	case 1:
		w += trades[r.IntN(len(trades))]
	}
	return w + "." + tlds[r.IntN(len(tlds))]
}

// hostName returns a registrable name, with a service label in front half
// of the time.
func hostName(r *rand.Rand) string {
	name := registrable(r)
	if r.IntN(2) == 0 {
		name = subdomains[r.IntN(len(subdomains))] + "." + name
	}
	return name
}

// cdnName returns a CDN edge name a service's name is a CNAME for.
func cdnName(r *rand.Rand) string {
	return word(r) + "-" + strconv.Itoa(r.IntN(900)+100) + ".edge." + cdnBrands[r.IntN(len(cdnBrands))] + ".net"
}

// parents returns name and its parent domains of two labels or more
// ("www.b.co.uk" gives "www.b.co.uk", "b.co.uk", "co.uk"); it is used to
// find collisions with indicators, which match a name and, with
// subdomains set, the names under it.
func parents(name string) []string {
	out := []string{name}
	for {
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return out
		}
		name = name[i+1:]
		if strings.Count(name, ".") == 0 {
			return out
		}
		out = append(out, name)
	}
}

// reserved lists IPv4 ranges that are not public unicast: generated
// external addresses avoid them.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/3"),
}

// publicIPv4 returns a random public unicast address that does not end in
// .0 or .255.
func publicIPv4(r *rand.Rand) netip.Addr {
	for {
		v := r.Uint32()
		if b := byte(v); b == 0 || b == 255 {
			continue
		}
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		ok := true
		for _, p := range reserved {
			if p.Contains(a) {
				ok = false
				break
			}
		}
		if ok {
			return a
		}
	}
}

// userAgents are the browsers of the enterprise's hosts (the first
// browsers of them) and two Windows services; each host keeps one.
var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
	"Microsoft-Delivery-Optimization/10.0",
	"Microsoft-CryptoAPI/10.0",
}

// browsers is how many of userAgents are web browsers.
const browsers = 5

// pollUserAgent is what the remote-control malware sends when it reads its
// bulletin board: an old Internet Explorer string, as such tools use.
const pollUserAgent = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0; .NET CLR 2.0.50727)"

// uriPaths builds the pool of request paths plain-HTTP traffic uses.
func uriPaths(r *rand.Rand, n int) []uri {
	exts := []struct{ ext, mime string }{
		{".html", "text/html"}, {".js", "application/javascript"}, {".css", "text/css"},
		{".png", "image/png"}, {".jpg", "image/jpeg"}, {".gif", "image/gif"}, {".json", "application/json"},
		{".cab", "application/vnd.ms-cab-compressed"}, {".crl", "application/pkix-crl"},
	}
	out := []uri{{path: "/", mime: "text/html"}, {path: "/index.html", mime: "text/html"}, {path: "/favicon.ico", mime: "image/x-icon"}}
	for len(out) < n {
		e := exts[r.IntN(len(exts))]
		var p string
		switch r.IntN(4) {
		case 0:
			p = "/" + word(r) + e.ext
		case 1:
			p = "/" + word(r) + "/" + word(r) + e.ext
		case 2:
			p = "/static/" + strconv.Itoa(r.IntN(100)) + "/" + word(r) + e.ext
		default:
			p = "/api/v" + strconv.Itoa(1+r.IntN(3)) + "/" + word(r) + "?id=" + strconv.Itoa(r.IntN(100000))
			e.mime = "application/json"
		}
		out = append(out, uri{path: p, mime: e.mime})
	}
	return out
}

// uri is a request path and the type of what it returns.
type uri struct {
	path string
	mime string
}
