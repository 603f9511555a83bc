package sms

import (
	"sort"
	"sync"
)

// Shared is the shared intelligence set: E.164 prefixes that members
// shared as sms-pumping. A number under any of them gets its app's Shared
// verdict at once. It is safe for concurrent use; Match costs one map
// lookup per prefix length.
type Shared struct {
	mu       sync.RWMutex
	prefixes map[string]struct{}
	lengths  [17]int // prefixes per length
}

// NewShared returns an empty set.
func NewShared() *Shared { return &Shared{prefixes: map[string]struct{}{}} }

// Add puts an E.164 prefix ("+" and 1 to 15 digits) in the set.
func (s *Shared) Add(prefix string) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.prefixes[prefix]; !ok {
		s.prefixes[prefix] = struct{}{}
		s.lengths[len(prefix)]++
	}
	return nil
}

// Remove takes a prefix out of the set and reports whether it was there.
func (s *Shared) Remove(prefix string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.prefixes[prefix]; !ok {
		return false
	}
	delete(s.prefixes, prefix)
	s.lengths[len(prefix)]--
	return true
}

// Match returns the longest prefix in the set that number starts with.
func (s *Shared) Match(number string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.prefixes) == 0 {
		return "", false
	}
	for i := min(len(number), len(s.lengths)-1); i >= 2; i-- {
		if s.lengths[i] == 0 {
			continue
		}
		if _, ok := s.prefixes[number[:i]]; ok {
			return number[:i], true
		}
	}
	return "", false
}

// List returns the prefixes in the set, sorted.
func (s *Shared) List() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.prefixes))
	for p := range s.prefixes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// checkPrefix checks a phone-range prefix: "+", a first digit 1 to 9, and
// 1 to 15 digits in all.
func checkPrefix(p string) error {
	ok := len(p) >= 2 && len(p) <= 16 && p[0] == '+' && p[1] != '0'
	for i := 1; ok && i < len(p); i++ {
		ok = p[i] >= '0' && p[i] <= '9'
	}
	if !ok {
		return &FieldError{Field: "prefix", Value: quote(p), Reason: "not an E.164 prefix (+ and 1 to 15 digits, the first not 0)"}
	}
	return nil
}

// Replace makes the set exactly prefixes, in one step: a Match sees the
// old set or the new one, never a mixture. Prefixes that are not E.164
// prefixes are refused, and the set is left as it was.
func (s *Shared) Replace(prefixes []string) error {
	next := make(map[string]struct{}, len(prefixes))
	var lengths [17]int
	for _, p := range prefixes {
		if err := checkPrefix(p); err != nil {
			return err
		}
		if _, ok := next[p]; !ok {
			next[p] = struct{}{}
			lengths[len(p)]++
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prefixes, s.lengths = next, lengths
	return nil
}
