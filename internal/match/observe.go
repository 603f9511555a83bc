package match

import (
	"crypto/sha256"
	"net/netip"
	"time"

	"fusion/internal/observable"
)

// Kind says what a field of an event holds, so that its value is looked up
// the right way without guessing.
type Kind uint8

// The kinds of fields.
const (
	KindAny    Kind = iota // detect the type
	KindIP                 // an address
	KindDomain             // a host name
	KindURL                // a URL
)

// Observation is a value seen in one field of one event.
type Observation struct {
	Time  time.Time
	Field string
	Kind  Kind
	Value string
	// Event names the event the value was seen in, so that a sensor
	// sending the same event twice is counted once; zero when unknown.
	Event EventID
}

// EventID names one event: the hash of its Zeek uid (a connection, across
// the conn, dns and http logs that describe it) or, for a log line without
// one, of the whole line.
type EventID [16]byte

// UIDEvent returns the EventID of the Zeek connection uid.
func UIDEvent(uid []byte) EventID { return eventID("uid\x00", uid) }

// LineEvent returns the EventID of a log line without a uid.
func LineEvent(line []byte) EventID { return eventID("line\x00", line) }

func eventID(kind string, b []byte) EventID {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write(b)
	var id EventID
	copy(id[:], h.Sum(nil))
	return id
}

// Observer looks observations up in an index.
type Observer struct {
	Index *Index
	Canon *observable.Canonicalizer
}

// Observe calls fn for each active record matching o's value, with the value
// in canonical form. Values that are not valid for their kind match nothing.
func (ob Observer) Observe(o Observation, fn func(value string, e Entry) bool) {
	v := o.Value
	switch o.Kind {
	case KindIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return
		}
		a = a.Unmap()
		canonical := ""
		ob.Index.LookupIP(a, func(e Entry) bool {
			if canonical == "" {
				canonical = a.String()
			}
			return fn(canonical, e)
		})
		return
	case KindDomain:
		if !isCanonicalName(v) {
			obs, err := ob.Canon.Parse(observable.Domain, v)
			if err != nil {
				return
			}
			v = obs.Value
		}
		ob.Index.LookupDomain(v, func(e Entry) bool { return fn(v, e) })
		return
	case KindURL:
		obs, err := ob.Canon.Parse(observable.URL, v)
		if err != nil {
			return
		}
		ob.Index.LookupURL(obs.Value, func(e Entry) bool { return fn(obs.Value, e) })
		return
	}
	obs, err := ob.Canon.Parse("", v)
	if err != nil {
		return
	}
	ob.Index.Lookup(obs, func(e Entry) bool { return fn(obs.Value, e) })
}

// isCanonicalName reports whether s is already a lowercase ASCII host name
// with at least one dot and no trailing dot — what fusion's canonicalizer
// would return unchanged — so that the common case skips it.
func isCanonicalName(s string) bool {
	if len(s) == 0 || len(s) > 253 || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
			dot = true
		default:
			return false
		}
	}
	return dot
}
