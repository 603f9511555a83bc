package intelgen

import (
	"strconv"
	"time"
)

// category is the kind of indicator a record is.
type category uint8

const (
	catDomain category = iota
	catURL
	catIPv4
	catCIDR
	catSHA256
	catMD5
	catSHA1
	catPayload
	catEmail
	catBTC
	catETH
	numCategories
)

// shares are the categories' shares of records, per mille; see the
// package documentation.
var shares = [numCategories]int{
	catDomain: 180, catURL: 220,
	catIPv4: 160, catCIDR: 40,
	catSHA256: 190, catMD5: 25, catSHA1: 20, catPayload: 15,
	catEmail: 80, catBTC: 40, catETH: 30,
}

func share(c category) float64 { return float64(shares[c]) / 1000 }

// categoryOf maps a draw in [0, 1000) to a category.
var categoryOf = func() (t [1000]category) {
	i := 0
	for c := range numCategories {
		for range shares[c] {
			t[i] = c
			i++
		}
	}
	return t
}()

// Money-mule shares of wallets; every mule record is personal, and so is
// every e-mail record.
const (
	btcMulePct = 40
	ethMulePct = 40
)

// TLP mixes, percent, in the order clear, green, amber, amber+strict, red.
var (
	tlpNames    = [5]string{"clear", "green", "amber", "amber+strict", "red"}
	tlpOverall  = [5]float64{10, 40, 35, 10, 5}
	tlpPersonal = [5]float64{0, 0, 70, 20, 10}
)

// tlpTables map a draw in [0, 1000) to a TLP index, for personal records
// and for the others; the others' mix is what keeps the overall mix.
var tlpPersonalOf, tlpOtherOf = func() (pers, other [1000]uint8) {
	p := share(catEmail) + share(catBTC)*btcMulePct/100 + share(catETH)*ethMulePct/100
	fill := func(t *[1000]uint8, mix [5]float64) {
		i, acc := 0, 0.0
		for k, w := range mix {
			acc += w * 10
			for ; i < 1000 && float64(i) < acc-0.5; i++ {
				t[i] = uint8(k)
			}
		}
		for ; i < 1000; i++ {
			t[i] = 4
		}
	}
	var otherMix [5]float64
	for k := range otherMix {
		otherMix[k] = (tlpOverall[k] - p*tlpPersonal[k]) / (1 - p)
	}
	fill(&pers, tlpPersonal)
	fill(&other, otherMix)
	return pers, other
}()

// source is where a record came from: it sets the confidence range, the
// admiralty grading and the handling codes.
type source struct {
	name        string
	confLo      int
	confHi      int
	reliability string // letters drawn from uniformly
	credibility string // digits drawn from uniformly
	handling    string // handling code the source always sets, if any
	purpose     string // purpose with H0
}

var (
	srcKit       = &source{"phishing-kit tracker", 80, 95, "ABBBBBBBBC", "1122222223", "", ""}
	srcAbuse     = &source{"bank abuse desk", 70, 90, "AAABBBBBBB", "1112222222", "", ""}
	srcPhishFeed = &source{"open phishing feed", 40, 75, "BCCCCCCCDD", "2333333344", "", ""}
	srcSinkhole  = &source{"sinkhole telemetry", 75, 95, "AABBBBBBBB", "1222222222", "", ""}
	srcHoneypot  = &source{"honeypot network", 55, 80, "BBBCCCCCCC", "2222333333", "", ""}
	srcBlocklist = &source{"open blocklist", 30, 60, "CCCCDDDDFF", "3333344466", "", ""}
	srcSandbox   = &source{"sandbox detonation", 85, 100, "AAAAAABBBB", "1111122222", "", ""}
	srcAV        = &source{"antivirus telemetry", 60, 85, "BBBBBBBBCC", "2222222333", "", ""}
	srcPolice    = &source{"police investigation", 80, 95, "AAAAAAABBB", "1111222222", "H1", ""}
	srcFIU       = &source{"financial intelligence unit report", 50, 80, "BBBBBBCCCC", "2222233333", "H0", "anti-money-laundering analysis"}
	srcChain     = &source{"blockchain analysis", 70, 90, "AABBBBBBBC", "2222222233", "", ""}
)

// Sources by category, ten draws each: a source appears as often as it is
// listed.
var (
	phishSources   = []*source{srcKit, srcKit, srcKit, srcKit, srcAbuse, srcAbuse, srcAbuse, srcPhishFeed, srcPhishFeed, srcPhishFeed}
	c2Sources      = []*source{srcSinkhole, srcSinkhole, srcSinkhole, srcSinkhole, srcHoneypot, srcHoneypot, srcHoneypot, srcBlocklist, srcBlocklist, srcBlocklist}
	malwareSources = []*source{srcSandbox, srcSandbox, srcSandbox, srcSandbox, srcSandbox, srcSandbox, srcAV, srcAV, srcAV, srcBlocklist}
	muleSources    = []*source{srcPolice, srcPolice, srcPolice, srcPolice, srcFIU, srcFIU, srcFIU, srcFIU, srcFIU, srcFIU}
	walletSources  = []*source{srcChain, srcChain, srcChain, srcChain, srcChain, srcPolice, srcPolice, srcFIU, srcFIU, srcFIU}
)

// Labels, as JSON arrays in sorted order.
const (
	lblPhish       = `["phishing"]`
	lblPhishKit    = `["phishing","phishing-kit"]`
	lblC2          = `["botnet-c2"]`
	lblC2BP        = `["botnet-c2","bulletproof-hosting"]`
	lblMalware     = `["malware"]`
	lblRansomware  = `["malware","ransomware"]`
	lblDropper     = `["malware","malware-distribution"]`
	lblDistributor = `["malware-distribution"]`
	lblMule        = `["money-mule"]`
	lblMuleScam    = `["money-mule","scam"]`
	lblScam        = `["scam"]`
	lblRansomPay   = `["ransomware"]`
)

// Fictional malware families.
var (
	botFamilies    = []string{"GlassViper", "Hollowtree", "QuillRAT", "Brackwater", "Sawfly Loader", "Nettlebot", "Cobaltfinch", "Mirewalker"}
	ransomFamilies = []string{"CinderLock", "Saltmarsh", "Mirelock", "Halite"}
)

// Lifetimes: how long a record was seen for (first_seen falls in the
// window before --start), and how long after --start it expires (0: no
// valid_until).
type lifetime struct {
	minLife, maxLife time.Duration
	valid            time.Duration
}

const day = 24 * time.Hour

var lifetimes = [numCategories]lifetime{
	catDomain:  {2 * time.Hour, 5 * day, 30 * day},
	catURL:     {2 * time.Hour, 5 * day, 30 * day},
	catIPv4:    {day, 40 * day, 14 * day},
	catCIDR:    {7 * day, 56 * day, 60 * day},
	catSHA256:  {0, 3 * day, 0},
	catMD5:     {0, 3 * day, 0},
	catSHA1:    {0, 3 * day, 0},
	catPayload: {time.Hour, 3 * day, 14 * day},
	catEmail:   {day, 50 * day, 0},
	catBTC:     {day, 56 * day, 0},
	catETH:     {day, 56 * day, 0},
}

// window is how far before --start records are first seen: eight weeks.
const window = 56 * day

// record appends record n as one JSON line.
func (g *generator) record(b []byte, n int64) []byte {
	rng := g.rng
	tok := g.keys.token(n)
	cat := categoryOf[rng.IntN(1000)]
	val, desc := g.val[:0], g.desc[:0]
	desc = append(desc, "[synthetic] "...)
	var (
		typ, labels string
		src         *source
		personal    bool
		subdomains  bool
	)
	switch cat {
	case catDomain, catURL:
		var brand string
		if cat == catDomain {
			typ = "domain"
			val, brand = appendPhishHost(val, rng, tok[:])
			desc = append(desc, "lookalike domain of "...)
		} else {
			typ = "url"
			val, brand = appendPhishURL(val, rng, tok[:])
			desc = append(desc, "credential-harvesting page imitating "...)
		}
		desc = append(desc, brand...)
		labels, src = lblPhish, pick(rng, phishSources)
		if rng.IntN(4) > 0 {
			labels = lblPhishKit
			desc = append(desc, ", produced by a phishing-as-a-service kit"...)
			subdomains = cat == catDomain && rng.IntN(4) == 0
		}
	case catIPv4, catCIDR:
		var (
			nw *network
			ok bool
		)
		i := g.nets.pick(rng)
		if cat == catIPv4 {
			var a uint32
			if a, nw, ok = g.nets.address(i); ok {
				typ = "ipv4"
				val = appendIPv4(val, a)
				desc = append(desc, pick(rng, botFamilies)...)
				desc = append(desc, " botnet C2 server at "...)
			}
		} else {
			var (
				a    uint32
				bits uint
			)
			if a, bits, nw, ok = g.nets.cidr(i, cidrMin+uint(rng.IntN(cidrMax-cidrMin+1))); ok {
				typ = "cidr"
				val = appendIPv4(val, a)
				val = append(val, '/')
				val = strconv.AppendUint(val, uint64(bits), 10)
				desc = append(desc, "range hosting "...)
				desc = append(desc, pick(rng, botFamilies)...)
				desc = append(desc, " C2 servers at "...)
			}
		}
		if !ok {
			// Every hosting network is full, which the sizing in
			// newHosting rules out; a hash keeps the count exact.
			return g.recordHash(b, n, catSHA256)
		}
		desc = append(desc, nw.name...)
		desc = append(desc, " ("...)
		desc = append(desc, nw.asn...)
		desc = append(desc, ')')
		labels, src = lblC2, pick(rng, c2Sources)
		if nw.bulletproof {
			labels = lblC2BP
			desc = append(desc, ", a bulletproof hosting provider"...)
		}
	case catSHA256, catMD5, catSHA1:
		return g.recordHash(b, n, cat)
	case catPayload:
		typ = "url"
		val = appendPayloadURL(val, rng, g.nets, tok[:])
		desc = append(desc, pick(rng, botFamilies)...)
		desc = append(desc, " payload download"...)
		labels, src = lblDistributor, pick(rng, malwareSources)
	case catEmail:
		typ, personal = "email", true
		val = appendMuleEmail(val, rng, tok[:])
		src = pick(rng, muleSources)
		switch r := rng.IntN(100); {
		case r < 75:
			labels = lblMule
			desc = append(desc, "money mule account receiving fraud proceeds"...)
		case r < 85:
			labels = lblMuleScam
			desc = append(desc, "money mule account recruited through a job scam"...)
		default:
			labels = lblScam
			desc = append(desc, "contact address of an investment scam"...)
		}
	case catBTC, catETH:
		mulePct := btcMulePct
		if cat == catBTC {
			typ = "btc"
			val = appendBTC(val, rng, g.keys.prefix(n))
		} else {
			typ, mulePct = "eth", ethMulePct
			val = appendETH(val, rng, g.keys.prefix(n), rng.IntN(2) == 0)
		}
		src = pick(rng, walletSources)
		switch r := rng.IntN(100); {
		case r < mulePct:
			labels, personal = lblMule, true
			desc = append(desc, "mule wallet laundering fraud proceeds"...)
		case cat == catBTC && r < mulePct+15:
			labels = lblRansomPay
			desc = append(desc, pick(rng, ransomFamilies)...)
			desc = append(desc, " ransom payment wallet"...)
		default:
			labels = lblScam
			desc = append(desc, "wallet collecting investment-scam payments"...)
		}
	}
	g.val, g.desc = val, desc
	return g.finish(b, n, cat, typ, labels, src, personal, subdomains)
}

// recordHash appends a malware sample record.
func (g *generator) recordHash(b []byte, n int64, cat category) []byte {
	rng := g.rng
	val, desc := g.val[:0], append(g.desc[:0], "[synthetic] "...)
	typ, size := "sha256", 32
	switch cat {
	case catMD5:
		typ, size = "md5", 16
	case catSHA1:
		typ, size = "sha1", 20
	}
	val = appendHash(val, rng, g.keys.prefix(n), size)
	var labels string
	switch r := rng.IntN(100); {
	case r < 70:
		labels = lblMalware
		desc = append(desc, pick(rng, botFamilies)...)
		desc = append(desc, " sample"...)
	case r < 90:
		labels = lblRansomware
		desc = append(desc, pick(rng, ransomFamilies)...)
		desc = append(desc, " ransomware sample"...)
	default:
		labels = lblDropper
		desc = append(desc, pick(rng, botFamilies)...)
		desc = append(desc, " dropper"...)
	}
	g.val, g.desc = val, desc
	return g.finish(b, n, cat, typ, labels, pick(rng, malwareSources), false, false)
}

// finish appends the record with the value and description in g.val and
// g.desc, drawing what the source and category decide.
func (g *generator) finish(b []byte, n int64, cat category, typ, labels string, src *source, personal, subdomains bool) []byte {
	rng := g.rng
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","value":"`...)
	b = append(b, g.val...)
	b = append(b, '"')
	if subdomains {
		b = append(b, `,"subdomains":true`...)
	}
	b = append(b, `,"labels":`...)
	b = append(b, labels...)
	b = append(b, `,"description":"`...)
	b = append(b, g.desc...)
	b = append(b, "; source: "...)
	b = append(b, src.name...)
	b = append(b, `","confidence":`...)
	b = strconv.AppendInt(b, int64(src.confLo+rng.IntN(src.confHi-src.confLo+1)), 10)

	var tlp uint8
	if personal {
		tlp = tlpPersonalOf[rng.IntN(1000)]
	} else {
		tlp = tlpOtherOf[rng.IntN(1000)]
	}
	b = append(b, `,"tlp":"`...)
	b = append(b, tlpNames[tlp]...)
	b = append(b, '"')
	red := tlp == 4
	if src.handling != "" || red {
		b = append(b, `,"handling":{"codes":[`...)
		if src.handling != "" {
			b = append(b, '"')
			b = append(b, src.handling...)
			b = append(b, '"')
			if red {
				b = append(b, ',')
			}
		}
		if red {
			b = append(b, `"H2"`...)
		}
		b = append(b, ']')
		if src.purpose != "" {
			b = append(b, `,"purpose":"`...)
			b = append(b, src.purpose...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	discoverable := false
	switch tlp {
	case 3:
		discoverable = rng.IntN(2) == 0
	case 4:
	default:
		discoverable = rng.IntN(10) > 0
	}
	b = append(b, `,"discoverable":`...)
	b = strconv.AppendBool(b, discoverable)
	b = append(b, `,"personal":`...)
	b = strconv.AppendBool(b, personal)
	b = append(b, `,"evaluation":{"reliability":"`...)
	b = append(b, src.reliability[rng.IntN(len(src.reliability))])
	b = append(b, `","credibility":`...)
	b = append(b, src.credibility[rng.IntN(len(src.credibility))])
	b = append(b, `},"reference":"`...)
	b = append(b, g.ref...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, '"')

	lt := lifetimes[cat]
	end := g.start.Unix()
	life := int64(lt.minLife/time.Second) + rng.Int64N(int64((lt.maxLife-lt.minLife)/time.Second)+1)
	first := end - int64(time.Hour/time.Second) - rng.Int64N(int64(window/time.Second))
	last := min(first+life, end-rng.Int64N(int64(time.Hour/time.Second)))
	b = append(b, `,"first_seen":"`...)
	b = appendTime(b, first)
	b = append(b, `","last_seen":"`...)
	b = appendTime(b, last)
	b = append(b, '"')
	if lt.valid > 0 {
		// Valid for a while from publication, at --start.
		b = append(b, `,"valid_until":"`...)
		b = appendTime(b, end+int64(lt.valid/time.Second)+rng.Int64N(int64(day/time.Second)))
		b = append(b, '"')
	}
	return append(b, "}\n"...)
}

// appendTime appends Unix second s as RFC 3339 in UTC.
func appendTime(b []byte, s int64) []byte {
	return time.Unix(s, 0).UTC().AppendFormat(b, time.RFC3339)
}
