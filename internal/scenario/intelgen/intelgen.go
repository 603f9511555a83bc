// Package intelgen generates the "intel" scenario kind: a synthetic
// indicator set of the kind partners share with a hub — phishing-kit
// domains and URLs, botnet C2 addresses and networks, malware hashes, money
// mule accounts and wallets — from thousands up to tens of millions of
// records.
//
// # Output
//
// records.jsonl holds one intel.RecordInput per line, with its keys always
// in the same order, ready to be sent in batches as {"records":[...]} to
// POST /api/v1/records:
//
//	{"type":"domain","value":"verify-k3x9a2b.nordkapbnak-online.top","subdomains":true,
//	 "labels":["phishing","phishing-kit"],"description":"[synthetic] ...","confidence":88,
//	 "tlp":"green","discoverable":true,"personal":false,
//	 "evaluation":{"reliability":"B","credibility":2},"reference":"scenario/intel/1/1",
//	 "first_seen":"2026-10-21T08:31:05Z","last_seen":"2026-10-23T17:02:44Z",
//	 "valid_until":"2026-11-22T17:02:44Z"}
//
// Every value is accepted by fusion's canonicalizer, every label is in the
// vocabulary, and no value repeats within a set. truth.jsonl stays empty:
// an indicator set injects no activity. Every description starts with
// "[synthetic]" and every reference is "scenario/intel/<seed>/<n>", n
// counting records from 1, so that synthetic records can never be taken
// for real intelligence.
//
// # Contents
//
// By share of records (each record's category is drawn independently):
//
//	40%  phishing      18% domains, 22% URLs: lookalikes of twelve
//	                   fictional brands (typos, ASCII homoglyphs, hyphens,
//	                   added words such as "secure-login") and random
//	                   subdomains on cheap TLDs (.top, .xyz, .shop, ...),
//	                   with kit paths and session tokens; labels phishing,
//	                   and phishing-kit for three in four
//	20%  botnet C2     16% IPv4 addresses, 4% /24 to /28 networks, all in a
//	                   few hosting networks (ten /16 and /20 networks for up
//	                   to half a million records, more /16s beyond); three in
//	                   ten networks are bulletproof hosting and their
//	                   records say so
//	25%  malware       19% SHA-256, 2.5% MD5, 2% SHA-1 (malware; ransomware
//	                   for one in five; malware-distribution for droppers),
//	                   1.5% payload URLs on hosting addresses
//	                   (malware-distribution)
//	15%  mules, scams  8% mule e-mail accounts, 4% Bitcoin addresses (P2PKH,
//	                   P2SH, P2WPKH, P2TR), 3% Ethereum addresses (half with
//	                   EIP-55 checksums); money-mule records and all e-mail
//	                   records are personal
//
// TLP: clear 10%, green 40%, amber 35%, amber+strict 10%, red 5% overall;
// personal records are never clear or green (amber 70%, amber+strict 20%,
// red 10%), and the other records' mix is shifted to keep the totals.
// Confidence and admiralty evaluation depend on the record's source (a
// phishing-kit tracker, a bank's abuse desk, an open feed, a sinkhole, a
// sandbox, a police investigation, a financial intelligence unit, ...).
// first_seen and last_seen fall in the eight weeks before --start, with
// lifetimes typical of the category (hours to days for phishing, weeks for
// C2); phishing and C2 records expire (valid_until) a few weeks after they
// were last seen.
//
// Mule e-mail addresses are on webmail-like subdomains of the reserved
// example.com, example.net and example.org (RFC 2606), so that a generated
// "money mule" can never be a real person's mailbox.
//
// # Uniqueness
//
// Values are unique without remembering them: each embeds a bijective
// scramble of the record number — a seven-character token at the end of
// the first host label, e-mail local part or payload file name, or the
// first eight bytes of a hash or wallet payload — and addresses and
// networks are allocated by counters within disjoint hosting networks.
package intelgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"fusion/internal/scenario"
)

// Kind is the intel scenario kind.
var Kind = scenario.Kind{
	Name:     "intel",
	Summary:  "indicator set: phishing, botnet C2, malware hashes, mules and wallets (records.jsonl)",
	Defaults: defaults,
	Check:    check,
	Generate: generate,
}

func init() { scenario.Register(Kind) }

// Sizes.
const (
	DefaultCount = 10_000
	// MaxCount bounds --count; tokens have room for 2^34 values.
	MaxCount = 1_000_000_000
)

func defaults(p *scenario.Params) {
	if p.Count == 0 {
		p.Count = DefaultCount
	}
}

func check(p *scenario.Params) error {
	if p.Count < 1 || p.Count > MaxCount {
		return fmt.Errorf("--count %d: the intel kind needs 1 to %d records", p.Count, MaxCount)
	}
	return nil
}

// checkEvery is how many records go by between progress updates and
// cancellation checks.
const checkEvery = 4096

func generate(ctx context.Context, r *scenario.Run) (err error) {
	out, err := r.Create("records.jsonl")
	if err != nil {
		return err
	}
	g := newGenerator(r)
	bar := r.Bar("intel", r.Params.Count, "records")
	defer bar.Finish()
	p := scenario.NewPipe(out)
	defer func() {
		if werr := p.Close(); werr != nil && err == nil {
			err = fmt.Errorf("write records.jsonl: %w", werr)
		}
	}()
	buf := p.Buffer()
	for n := int64(1); n <= r.Params.Count; n++ {
		buf = g.record(buf, n)
		if len(buf) >= scenario.PipeChunk {
			p.Send(buf)
			buf = p.Buffer()
		}
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			bar.Add(checkEvery)
		}
	}
	p.Send(buf)
	bar.Add(r.Params.Count % checkEvery)
	return nil
}

// generator holds what one run draws once, and its random stream.
type generator struct {
	start time.Time
	rng   *rand.Rand
	keys  keys
	nets  *hosting
	ref   []byte // "scenario/intel/<seed>/"
	val   []byte // scratch: the value being generated
	desc  []byte // scratch: the description being generated
}

func newGenerator(r *scenario.Run) *generator {
	world := r.Rand("intel/world")
	return &generator{
		start: r.Params.Start,
		rng:   r.Rand("intel/records"),
		keys:  newKeys(world),
		nets:  newHosting(world, r.Params.Count),
		ref:   fmt.Appendf(nil, "scenario/intel/%d/", r.Params.Seed),
	}
}
