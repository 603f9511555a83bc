package sms

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// A numberRange is a block of mobile numbers of one region that share every
// digit but the last Free ones, and every one of which libphonenumber holds
// valid, of type mobile (or fixed-line-or-mobile) and of the region. Drawing
// a number from a range costs nothing; proving the range valid costs one
// libphonenumber validation and a walk over the metadata's patterns (see
// rangeFinder), done once per run.
type numberRange struct {
	Region   string // ISO 3166-1 alpha-2
	Prefix   string // "+", country code and the fixed national digits
	Free     int    // trailing digits free to take any value
	Operator string // mobile operator from libphonenumber's carrier data; may be empty
}

// Size is the number of numbers in the range.
func (r *numberRange) Size() uint64 { return pow10[r.Free] }

// appendNumber appends the E.164 number with suffix s, 0 <= s < Size().
func (r *numberRange) appendNumber(b []byte, s uint64) []byte {
	b = append(b, r.Prefix...)
	var d [20]byte
	for i := r.Free - 1; i >= 0; i-- {
		d[i] = byte('0' + s%10)
		s /= 10
	}
	return append(b, d[:r.Free]...)
}

var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// freeLimit bounds the free digits of a range, and so its size.
const freeLimit = 7

// errNoRange is returned when no valid range could be found for a region.
var errNoRange = errors.New("no valid mobile number range")

// A rangeFinder proves number ranges valid without validating each number.
//
// libphonenumber decides validity, type and region from a number's length
// and from which of its metadata's regular expressions match the national
// significant number: the region's general pattern, one per number type,
// the "leading digits" that pick a region among those sharing a calling code,
// and the national prefix that parsing strips. If every one of those
// expressions matches either all or none of the numbers of a range, then
// every number of the range gets the same answers as any one of them — so
// one validated number proves the range. rangeFinder checks "all or none" by
// running each expression's NFA over the fixed digits and then over every
// continuation, merging identical state sets (the patterns are tries of
// prefixes followed by \d{n}, so the sets stay few).
type rangeFinder struct {
	meta  map[string]*phonenumbers.PhoneMetadata // geographic regions by code
	exprs map[int][]expr                         // by calling code
}

// expr is one compiled metadata expression.
type expr struct {
	sim *nfa
	// strip is set for a national prefix pattern, which parsing looks for
	// at the start of the number and removes: a range must have no
	// non-empty prefix it matches. Other expressions must match all or
	// none of a range.
	strip bool
}

func newRangeFinder() (*rangeFinder, error) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, fmt.Errorf("phone metadata: %w", err)
	}
	f := &rangeFinder{meta: map[string]*phonenumbers.PhoneMetadata{}, exprs: map[int][]expr{}}
	for _, md := range coll.GetMetadata() {
		if id := md.GetId(); len(id) == 2 {
			f.meta[id] = md
		}
	}
	return f, nil
}

// exprsFor returns the expressions that decide validity, type, region and
// prefix stripping for numbers with calling code cc, over every region that
// shares it.
func (f *rangeFinder) exprsFor(cc int) ([]expr, error) {
	if e, ok := f.exprs[cc]; ok {
		return e, nil
	}
	var out []expr
	add := func(pattern string, prefixOnly, strip bool) error {
		if pattern == "" || pattern == "NA" {
			return nil
		}
		if prefixOnly && !strip {
			// Matched from the start with no end anchor: for digit strings
			// that is a full match of the pattern followed by any digits.
			pattern = "(?:" + pattern + ")[0-9]*"
		}
		sim, err := compileNFA(pattern)
		if err != nil {
			return fmt.Errorf("calling code %d: pattern %q: %w", cc, pattern, err)
		}
		out = append(out, expr{sim: sim, strip: strip})
		return nil
	}
	for _, region := range phonenumbers.GetRegionCodesForCountryCode(cc) {
		md := f.meta[region]
		if md == nil {
			continue
		}
		for _, d := range []*phonenumbers.PhoneNumberDesc{
			md.GetGeneralDesc(), md.GetFixedLine(), md.GetMobile(), md.GetTollFree(), md.GetPremiumRate(),
			md.GetSharedCost(), md.GetPersonalNumber(), md.GetVoip(), md.GetPager(), md.GetUan(), md.GetVoicemail(),
		} {
			if err := add(d.GetNationalNumberPattern(), false, false); err != nil {
				return nil, err
			}
		}
		if err := add(md.GetLeadingDigits(), true, false); err != nil {
			return nil, err
		}
		if err := add(md.GetNationalPrefixForParsing(), true, true); err != nil {
			return nil, err
		}
	}
	f.exprs[cc] = out
	return out, nil
}

// rangeOf returns the range around the national significant number nsn of
// region with the most free digits between minFree and maxFree, or false
// when nsn is not a valid mobile number of region or no such range exists.
func (f *rangeFinder) rangeOf(region, nsn string, minFree, maxFree int) (numberRange, bool, error) {
	cc := phonenumbers.GetCountryCodeForRegion(region)
	if cc == 0 {
		return numberRange{}, false, fmt.Errorf("region %s: no calling code", region)
	}
	e164 := "+" + strconv.Itoa(cc) + nsn
	n, err := phonenumbers.Parse(e164, "")
	if err != nil || !phonenumbers.IsValidNumber(n) || phonenumbers.GetRegionCodeForNumber(n) != region ||
		phonenumbers.Format(n, phonenumbers.E164) != e164 {
		return numberRange{}, false, nil
	}
	if t := phonenumbers.GetNumberType(n); t != phonenumbers.MOBILE && t != phonenumbers.FIXED_LINE_OR_MOBILE {
		return numberRange{}, false, nil
	}
	exprs, err := f.exprsFor(cc)
	if err != nil {
		return numberRange{}, false, err
	}
	maxFree = min(maxFree, freeLimit, len(nsn)-2)
free:
	for free := maxFree; free >= minFree; free-- {
		fixed := nsn[:len(nsn)-free]
		for _, e := range exprs {
			if e.strip {
				if e.sim.matchesPrefix(fixed, free) {
					continue free
				}
				continue
			}
			if constant, _ := e.sim.constant(fixed, free); !constant {
				continue free
			}
		}
		op, _ := phonenumbers.GetCarrierForNumber(n, "en")
		return numberRange{Region: region, Prefix: e164[:len(e164)-free], Free: free, Operator: op}, true, nil
	}
	return numberRange{}, false, nil
}

// ranges returns up to want distinct ranges of region's mobile numbers with
// minFree to maxFree free digits, starting from libphonenumber's example
// mobile number and varying its digits after the first keep ones.
func (f *rangeFinder) ranges(rng *rand.Rand, region string, want, minFree, maxFree int) ([]numberRange, error) {
	var err error
	ex := phonenumbers.GetExampleNumberForType(region, phonenumbers.MOBILE)
	if ex == nil {
		return nil, fmt.Errorf("region %s: %w (no example mobile number)", region, errNoRange)
	}
	base := phonenumbers.GetNationalSignificantNumber(ex)
	// Most candidates are not mobile numbers of the region; a match of
	// the mobile pattern alone turns them away cheaply.
	var mobile *regexp.Regexp
	if md := f.meta[region]; md != nil {
		if p := md.GetMobile().GetNationalNumberPattern(); p != "" && p != "NA" {
			if mobile, err = regexp.Compile("^(?:" + p + ")$"); err != nil {
				return nil, fmt.Errorf("region %s: mobile pattern: %w", region, err)
			}
		}
	}
	var out []numberRange
	seen := map[string]bool{}
	attempts := 40 * want
	for attempt := 0; len(out) < want && attempt <= attempts; attempt++ {
		nsn := []byte(base)
		if attempt < attempts {
			// Keep the first zero to three digits (often the mobile
			// prefix), vary the rest: other operators and blocks of the
			// same plan. The example number itself is the last resort.
			keep := min(rng.IntN(4), len(nsn)-4)
			for i := max(keep, 0); i < len(nsn); i++ {
				nsn[i] = byte('0' + rng.IntN(10))
			}
		}
		if mobile != nil && !mobile.Match(nsn) {
			continue
		}
		r, ok, err := f.rangeOf(region, string(nsn), minFree, maxFree)
		if err != nil {
			return nil, err
		}
		// One range per leading three digits (an area or operator code),
		// so that the ranges spread over the numbering plan.
		if head := string(nsn[:min(3, len(nsn))]); ok && !seen[head] {
			seen[head] = true
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("region %s: %w with %d to %d free digits", region, errNoRange, minFree, maxFree)
	}
	return out, nil
}

// nfa simulates a compiled regular expression over digit strings.
type nfa struct {
	prog  *syntax.Prog
	mark  []uint32 // generation stamp per instruction, for set membership
	gen   uint32
	stack []uint32
}

func compileNFA(pattern string) (*nfa, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth && syntax.EmptyOp(in.Arg)&^(anchorStart|anchorEnd) != 0 {
			// Word boundaries do not occur in libphonenumber's patterns;
			// refuse rather than simulate them wrongly.
			return nil, errors.New("word-boundary assertions are not supported")
		}
	}
	return &nfa{prog: prog, mark: make([]uint32, len(prog.Inst))}, nil
}

// Empty-width assertions the simulation understands: at the start and at
// the end of the text ("^" and "$" in libphonenumber's patterns).
const (
	anchorStart = syntax.EmptyBeginLine | syntax.EmptyBeginText
	anchorEnd   = syntax.EmptyEndLine | syntax.EmptyEndText
)

// closure adds pc and every instruction reachable from it without
// consuming input to set, keeping only instructions that consume or match,
// and end assertions, which hold only if no input follows. atStart and
// atEnd say where in the text the closure is taken. The caller bumps gen
// before building a new set.
func (m *nfa) closure(set []uint32, pc uint32, atStart, atEnd bool) []uint32 {
	m.stack = append(m.stack[:0], pc)
	for len(m.stack) > 0 {
		pc := m.stack[len(m.stack)-1]
		m.stack = m.stack[:len(m.stack)-1]
		if m.mark[pc] == m.gen {
			continue
		}
		m.mark[pc] = m.gen
		in := &m.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			m.stack = append(m.stack, in.Arg, in.Out)
		case syntax.InstCapture, syntax.InstNop:
			m.stack = append(m.stack, in.Out)
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(in.Arg)
			switch {
			case op&anchorStart != 0 && !atStart:
			case op&anchorEnd != 0 && !atEnd:
				set = append(set, pc) // pending: holds if the text ends here
			default:
				m.stack = append(m.stack, in.Out)
			}
		case syntax.InstMatch, syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			set = append(set, pc)
		}
	}
	return set
}

func (m *nfa) next() {
	m.gen++
	if m.gen == 0 { // wrapped: clear the stamps
		clear(m.mark)
		m.gen = 1
	}
}

// step returns the set reached from set on rune c.
func (m *nfa) step(set []uint32, c rune) []uint32 {
	m.next()
	var out []uint32
	for _, pc := range set {
		in := &m.prog.Inst[pc]
		ok := false
		switch in.Op {
		case syntax.InstRune:
			ok = in.MatchRune(c)
		case syntax.InstRune1:
			ok = c == in.Rune[0]
		case syntax.InstRuneAny:
			ok = true
		case syntax.InstRuneAnyNotNL:
			ok = c != '\n'
		}
		if ok {
			out = m.closure(out, in.Out, false, false)
		}
	}
	slices.Sort(out)
	return out
}

// accepts reports whether the text matches if it ends in set.
func (m *nfa) accepts(set []uint32) bool {
	m.next()
	var end []uint32
	for _, pc := range set {
		switch m.prog.Inst[pc].Op {
		case syntax.InstMatch:
			return true
		case syntax.InstEmptyWidth:
			end = m.closure(end, m.prog.Inst[pc].Out, false, true)
		}
	}
	for _, pc := range end {
		if m.prog.Inst[pc].Op == syntax.InstMatch {
			return true
		}
	}
	return false
}

// maxFrontier bounds the distinct state sets constant explores per digit.
const maxFrontier = 4096

// constant reports whether the expression matches all or none of the
// strings fixed followed by free digits, and if so whether it matches them.
func (m *nfa) constant(fixed string, free int) (constant, matches bool) {
	m.next()
	set := m.closure(nil, uint32(m.prog.Start), true, fixed == "" && free == 0)
	slices.Sort(set)
	for _, c := range fixed {
		set = m.step(set, c)
		if len(set) == 0 {
			return true, false
		}
	}
	frontier := [][]uint32{set}
	for range free {
		seen := map[string]bool{}
		var next [][]uint32
		for _, s := range frontier {
			for d := '0'; d <= '9'; d++ {
				t := m.step(s, d)
				k := setKey(t)
				if !seen[k] {
					seen[k] = true
					next = append(next, t)
				}
			}
		}
		if len(next) > maxFrontier {
			return false, false
		}
		frontier = next
	}
	first := m.accepts(frontier[0])
	for _, s := range frontier[1:] {
		if m.accepts(s) != first {
			return false, false
		}
	}
	return true, first
}

func setKey(s []uint32) string {
	b := make([]byte, 0, 4*len(s))
	for _, pc := range s {
		b = append(b, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
	}
	return string(b)
}

// matchesPrefix reports whether the expression matches a non-empty prefix
// of some string fixed followed by free digits. It follows every
// continuation at once: the union of the sets reached by each digit.
func (m *nfa) matchesPrefix(fixed string, free int) bool {
	m.next()
	set := m.closure(nil, uint32(m.prog.Start), true, false)
	n := len(fixed) + free
	for i := range n {
		if i < len(fixed) {
			set = m.step(set, rune(fixed[i]))
		} else {
			var union []uint32
			for d := '0'; d <= '9'; d++ {
				union = append(union, m.step(set, d)...)
			}
			slices.Sort(union)
			set = slices.Compact(union)
		}
		if len(set) == 0 {
			return false
		}
		for _, pc := range set {
			if m.prog.Inst[pc].Op == syntax.InstMatch {
				return true
			}
		}
	}
	return m.accepts(set)
}
