package transactions

import (
	"math/rand/v2"
)

// hexLen is the length of a hex SHA-256.
const hexLen = 64

// Identity slots in a person's or agency's hex record.
const (
	slotName   = 0 // person: traveller name; agency: the corporate cardholder
	slotCard   = 1 // the card they pay with
	slotBooker = 2 // the account they book with
	slotDevice = 3 // person: the device they book on, shared in the household
	slots      = 4
)

// Devices: a household books on one to householdDevices devices, which its
// members share; an agency office on agencyDevices.
const (
	householdDevices = 3
	agencyDevices    = 4
)

// population is the fixed set of legitimate customers, in households that
// share a surname, a home airport and a home network; and the travel
// agencies that book for them. Its size is bounded, so memory does not grow
// with the number of bookings.
type population struct {
	hex     []byte   // per person: slots × hexLen
	head    []int32  // the household head, who pays for family trips
	home    []uint16 // home country
	airport []uint16 // home airport
	bin     []uint16 // their card's BIN
	ip      []uint32 // their home network address

	agencyHex       []byte // per agency: slots × hexLen, slotDevice unused
	agencyDev       []byte // per agency: agencyDevices × hexLen
	agencyCountry   []uint16
	agencyBin       []uint16
	agencyIP        []uint32
	agenciesOf      [][]int32 // per country
	agencyByCountry alias
}

// Population sizes.
const (
	minPersons  = 1024
	maxPersons  = 1 << 16
	minAgencies = 32
	maxAgencies = 512
)

// crossBorderCards is the share of people whose card was issued outside
// their home country (expatriates, foreign accounts).
const crossBorderCards = 0.03

func newPopulation(t *tables, h *hasher, r *rand.Rand, persons, agencies int) *population {
	p := &population{
		hex:     make([]byte, persons*slots*hexLen),
		head:    make([]int32, persons),
		home:    make([]uint16, persons),
		airport: make([]uint16, persons),
		bin:     make([]uint16, persons),
		ip:      make([]uint32, persons),
	}
	var name []byte
	for i := 0; i < persons; {
		n := min(persons-i, t.households.draw(r)+1)
		home := t.homes.draw(r)
		ap := t.countries[home].airports[t.countryAirports[home].draw(r)]
		ip := randomIP(t, home, r)
		surname := r.IntN(len(surnames))
		devices := 1 + r.IntN(min(n, householdDevices))
		for j := i; j < i+n; j++ {
			p.head[j] = int32(i)
			p.home[j] = uint16(home)
			p.airport[j] = uint16(ap)
			p.ip[j] = ip
			issuer := home
			if r.Float64() < crossBorderCards {
				issuer = t.homes.draw(r)
			}
			p.bin[j] = uint16(randomBIN(t, issuer, r))
			rec := p.hex[j*slots*hexLen:]
			// Members' names differ, so that each is a traveller of
			// their own.
			for try := 0; ; try++ {
				name = randomName(name[:0], r, surname)
				h.name(rec[slotName*hexLen:], name)
				if try == ringTries || !p.nameTaken(i, j) {
					break
				}
			}
			h.identity(rec[slotCard*hexLen:], "card", uint64(j))
			h.identity(rec[slotBooker*hexLen:], "account", uint64(j))
			h.identity(rec[slotDevice*hexLen:], "device", uint64(i)<<2|uint64((j-i)%devices))
		}
		i += n
	}

	p.agencyHex = make([]byte, agencies*slots*hexLen)
	p.agencyDev = make([]byte, agencies*agencyDevices*hexLen)
	p.agencyCountry = make([]uint16, agencies)
	p.agencyBin = make([]uint16, agencies)
	p.agencyIP = make([]uint32, agencies)
	p.agenciesOf = make([][]int32, len(t.countries))
	for a := 0; a < agencies; a++ {
		c := t.homes.draw(r)
		p.agencyCountry[a] = uint16(c)
		p.agencyBin[a] = uint16(randomBIN(t, c, r))
		p.agencyIP[a] = randomIP(t, c, r)
		p.agenciesOf[c] = append(p.agenciesOf[c], int32(a))
		rec := p.agencyHex[a*slots*hexLen:]
		h.identity(rec[slotName*hexLen:], "agency", uint64(a))
		h.identity(rec[slotCard*hexLen:], "agency-card", uint64(a))
		h.identity(rec[slotBooker*hexLen:], "agency-account", uint64(a))
		for k := range agencyDevices {
			h.identity(p.agencyDev[(a*agencyDevices+k)*hexLen:], "agency-device", uint64(a)<<3|uint64(k))
		}
	}
	return p
}

// person returns the identity in slot of person i.
func (p *population) person(i, slot int) []byte {
	o := (i*slots + slot) * hexLen
	return p.hex[o : o+hexLen]
}

// agency returns the identity in slot of agency a.
func (p *population) agency(a, slot int) []byte {
	o := (a*slots + slot) * hexLen
	return p.agencyHex[o : o+hexLen]
}

// nameTaken reports whether person j's name is also that of a member
// first..j-1 of their household.
func (p *population) nameTaken(first, j int) bool {
	n := p.person(j, slotName)
	for k := first; k < j; k++ {
		if string(p.person(k, slotName)) == string(n) {
			return true
		}
	}
	return false
}

// agencyDevice returns device k of agency a.
func (p *population) agencyDevice(a, k int) []byte {
	o := (a*agencyDevices + k) * hexLen
	return p.agencyDev[o : o+hexLen]
}

// household returns the first member of person i's household and how many
// it has: members are numbered consecutively from the head.
func (p *population) household(i int) (first, n int) {
	first = int(p.head[i])
	n = 1
	for first+n < len(p.head) && int(p.head[first+n]) == first {
		n++
	}
	return first, n
}

// agencyFor returns an agency in country c, or any agency if c has none.
func (p *population) agencyFor(c int, r *rand.Rand) int {
	if l := p.agenciesOf[c]; len(l) > 0 {
		return int(l[r.IntN(len(l))])
	}
	return r.IntN(len(p.agencyCountry))
}

// randomBIN returns one of country c's BINs.
func randomBIN(t *tables, c int, r *rand.Rand) int {
	b := t.countries[c].bins
	return b[r.IntN(len(b))]
}

// randomIP returns an address in country c's block, avoiding .0 and .255.
func randomIP(t *tables, c int, r *rand.Rand) uint32 {
	u := r.Uint32()
	return t.countries[c].block | (u>>16&0xff)<<8 | (1 + (u&0xffff)%254)
}
