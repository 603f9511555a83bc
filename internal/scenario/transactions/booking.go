package transactions

import (
	"strconv"
)

// Channels a booking can come through.
const (
	chanWeb = iota
	chanMobile
	chanCallCentre
	chanTravelAgent
)

var channelNames = [...]string{"web", "mobile-app", "call-centre", "travel-agent"}

// booking is one line of bookings.jsonl before encoding. The identity
// fields point into the population or a ring and are not owned.
type booking struct {
	id         [10]byte
	booked     int64 // Unix seconds
	departure  int64
	origin     int
	dest       int
	bin        int
	ipCountry  int
	ip         uint32
	cardholder []byte
	traveller  []byte
	booker     []byte
	card       []byte
	cents      int64
	channel    int
	airline    int // index into tables.airlines
	device     []byte
}

// base32 is the RFC 4648 alphabet.
const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// idMixer turns sequence numbers into distinct, unguessable-looking booking
// ids: a keyed bijection on 40 bits, so no two bookings below 2^40 share one.
type idMixer struct{ k0, k1 uint64 }

const mask40 = 1<<40 - 1

func (m idMixer) id(seq uint64) [10]byte {
	x := (seq + m.k0) & mask40
	x = (x * 0x9E3779B97F) & mask40 // odd: invertible modulo 2^40
	x ^= x >> 19
	x = (x ^ m.k1) * 0xC2B2AE3D27 & mask40
	x ^= x >> 21
	var b [10]byte
	b[0], b[1] = 'B', 'K'
	for i := 9; i >= 2; i-- {
		b[i] = base32[x&31]
		x >>= 5
	}
	return b
}

// encoder writes bookings as JSON lines with a fixed key order, by hand:
// every value is ASCII from the tables or hex, so nothing needs escaping.
type encoder struct {
	t      *tables
	booked dayCache // booking times only grow: their day rarely changes
}

func newEncoder(t *tables) *encoder {
	return &encoder{t: t, booked: dayCache{day: -1}}
}

// dayCache remembers the date text of one day.
type dayCache struct {
	day  int64
	text [11]byte // "YYYY-MM-DDT"
}

func (e *encoder) append(buf []byte, b *booking) []byte {
	t := e.t
	oc, dc := t.airports[b.origin].country, t.airports[b.dest].country
	buf = append(buf, `{"id":"`...)
	buf = append(buf, b.id[:]...)
	buf = append(buf, `","booked":"`...)
	buf = appendTime(buf, b.booked, &e.booked)
	buf = append(buf, `","departure":"`...)
	buf = appendTime(buf, b.departure, nil)
	buf = append(buf, `","origin":"`...)
	buf = append(buf, t.airports[b.origin].code...)
	buf = append(buf, `","destination":"`...)
	buf = append(buf, t.airports[b.dest].code...)
	buf = append(buf, `","origin_country":"`...)
	buf = append(buf, t.countries[oc].code...)
	buf = append(buf, `","destination_country":"`...)
	buf = append(buf, t.countries[dc].code...)
	buf = append(buf, `","card_bin":"`...)
	bn := &t.bins[b.bin]
	buf = append(buf, bn.code[:]...)
	buf = append(buf, `","bin_country":"`...)
	buf = append(buf, t.countries[bn.country].code...)
	buf = append(buf, `","ip_country":"`...)
	buf = append(buf, t.countries[b.ipCountry].code...)
	buf = append(buf, `","client_ip":"`...)
	buf = appendIP(buf, b.ip)
	buf = append(buf, `","cardholder":"`...)
	buf = append(buf, b.cardholder...)
	buf = append(buf, `","traveller":"`...)
	buf = append(buf, b.traveller...)
	buf = append(buf, `","booker":"`...)
	buf = append(buf, b.booker...)
	buf = append(buf, `","card":"`...)
	buf = append(buf, b.card...)
	buf = append(buf, `","amount":"`...)
	buf = appendCents(buf, b.cents)
	buf = append(buf, `","currency":"`...)
	buf = append(buf, t.countries[oc].currency...)
	buf = append(buf, `","channel":"`...)
	buf = append(buf, channelNames[b.channel]...)
	buf = append(buf, `","airline":"`...)
	buf = append(buf, t.airlines[b.airline].code...)
	buf = append(buf, `","device":"`...)
	buf = append(buf, b.device...)
	buf = append(buf, "\"}\n"...)
	return buf
}

// appendTime appends sec (Unix seconds, not negative) as RFC 3339 UTC,
// taking the date from cache when it holds that day.
func appendTime(buf []byte, sec int64, cache *dayCache) []byte {
	d, s := sec/86400, sec%86400
	switch {
	case cache == nil:
		var text [11]byte
		civil(&text, d)
		buf = append(buf, text[:]...)
	case cache.day == d:
		buf = append(buf, cache.text[:]...)
	default:
		civil(&cache.text, d)
		cache.day = d
		buf = append(buf, cache.text[:]...)
	}
	h, m, x := s/3600, s/60%60, s%60
	return append(buf, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+x/10), byte('0'+x%10), 'Z')
}

// civil writes "YYYY-MM-DDT" for days since 1970-01-01 (Howard Hinnant's
// civil_from_days; years 0 to 9999).
func civil(dst *[11]byte, days int64) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
		y++
	}
	dst[0], dst[1], dst[2], dst[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	dst[4] = '-'
	dst[5], dst[6] = byte('0'+m/10), byte('0'+m%10)
	dst[7] = '-'
	dst[8], dst[9] = byte('0'+d/10), byte('0'+d%10)
	dst[10] = 'T'
}

// octets holds the decimal text of every byte value.
var octets = func() (o [256]string) {
	for i := range o {
		o[i] = strconv.Itoa(i)
	}
	return o
}()

// appendIP appends ip in dotted-quad form.
func appendIP(buf []byte, ip uint32) []byte {
	buf = append(buf, octets[ip>>24]...)
	buf = append(buf, '.')
	buf = append(buf, octets[ip>>16&0xff]...)
	buf = append(buf, '.')
	buf = append(buf, octets[ip>>8&0xff]...)
	buf = append(buf, '.')
	return append(buf, octets[ip&0xff]...)
}

// appendCents appends a non-negative amount in hundredths with two decimals.
func appendCents(buf []byte, cents int64) []byte {
	buf = strconv.AppendInt(buf, cents/100, 10)
	c := cents % 100
	return append(buf, '.', byte('0'+c/10), byte('0'+c%10))
}
