package sms

// Stats is the size of a Guard's state.
//
// The guard keeps no table of numbers: a number is in its state as an
// entry of its 1,000-number block's ring of the last 16 requests sent
// (its last three digits, time, whether the code was entered, hashes of
// address and user agent), and in the counts of its block, country and
// carrier. Numbers counts the distinct numbers in the rings, so at most
// 16 × Blocks, and at most 16 × Config.MaxPrefixes per Guard (its apps
// share the blocks).
type Stats struct {
	Apps     int `json:"apps"`     // apps with their own state
	Blocks   int `json:"blocks"`   // 1,000-number blocks tracked (shared by the apps)
	Numbers  int `json:"numbers"`  // distinct numbers among the blocks' recent requests
	Requests int `json:"requests"` // recent requests held in the blocks' rings
	IPs      int `json:"ips"`      // client addresses tracked, over all apps
	Analyses int `json:"analyses"` // cached analyses (blocks and odd numbers)
}

// Stats counts g's state. It holds the Guard's lock while it walks every
// block: about a millisecond per 10,000 blocks.
func (g *Guard) Stats() Stats {
	var s Stats
	g.mu.Lock()
	s.Apps = len(g.apps)
	for _, a := range g.apps {
		s.IPs += len(a.ips)
	}
	s.Blocks = len(g.ranges.prefixes)
	for _, b := range g.ranges.prefixes {
		var seen [ringSize]uint16
		n := 0
		for i := range b.recent {
			e := &b.recent[i]
			if e.t == 0 {
				continue
			}
			s.Requests++
			if !containsU16(seen[:n], e.suffix) {
				seen[n] = e.suffix
				n++
			}
		}
		s.Numbers += n
	}
	g.mu.Unlock()
	g.nums.mu.RLock()
	s.Analyses = len(g.nums.cache) + len(g.nums.odd)
	g.nums.mu.RUnlock()
	return s
}
