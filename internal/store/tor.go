package store

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// TorConsensus is one imported consensus.
type TorConsensus struct {
	ValidAfter, FreshUntil, ValidUntil time.Time
	Relays                             int
}

// TorInterval is a run of consecutive consensuses in which one relay was
// listed at one address with the same attributes.
type TorInterval struct {
	Addr        netip.Addr
	Fingerprint string
	First       time.Time // valid-after of the first consensus
	Last        time.Time // valid-after of the last consensus
	Ends        time.Time // fresh-until of the last consensus
	Consensuses int
	Nickname    string
	ORPort      uint16
	DirPort     uint16
	Flags       string
	ExitFlag    bool
	ExitPolicy  bool
}

// TorExitScan is one exit-list observation: the scanner saw the relay
// exiting from Addr at Seen.
type TorExitScan struct {
	Addr        netip.Addr
	Fingerprint string
	Seen        time.Time
	Published   time.Time
	LastStatus  time.Time
}

func addrBytes(a netip.Addr) []byte {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return b[:]
	}
	b := a.As16()
	return b[:]
}

func addrFrom(b []byte) (netip.Addr, error) {
	a, ok := netip.AddrFromSlice(b)
	if !ok {
		return netip.Addr{}, fmt.Errorf("store: tor address of %d bytes", len(b))
	}
	return a, nil
}

// TorConsensuses returns every imported consensus, oldest first.
func (s *Store) TorConsensuses(ctx context.Context) ([]TorConsensus, error) {
	rows, err := s.query(ctx, "SELECT valid_after, fresh_until, valid_until, relays FROM tor_consensuses ORDER BY valid_after")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TorConsensus
	for rows.Next() {
		var va, fu, vu int64
		var c TorConsensus
		if err := rows.Scan(&va, &fu, &vu, &c.Relays); err != nil {
			return nil, err
		}
		c.ValidAfter, c.FreshUntil, c.ValidUntil = time.Unix(va, 0).UTC(), time.Unix(fu, 0).UTC(), time.Unix(vu, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

const torIntervalCols = "addr, fingerprint, first, last, ends, consensuses, nickname, or_port, dir_port, flags, exit_flag, exit_policy"

// TorIntervals calls fn with every interval (of those whose last consensus
// is at last, when last is not zero).
func (s *Store) TorIntervals(ctx context.Context, last time.Time, fn func(TorInterval) error) error {
	q, args := "SELECT "+torIntervalCols+" FROM tor_intervals", []any{}
	if !last.IsZero() {
		q, args = q+" WHERE last = ?", append(args, last.Unix())
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var iv TorInterval
		var addr []byte
		var first, lastT, ends int64
		var or, dir int
		if err := rows.Scan(&addr, &iv.Fingerprint, &first, &lastT, &ends, &iv.Consensuses, &iv.Nickname, &or, &dir, &iv.Flags, &iv.ExitFlag, &iv.ExitPolicy); err != nil {
			return err
		}
		if iv.Addr, err = addrFrom(addr); err != nil {
			return err
		}
		iv.First, iv.Last, iv.Ends = time.Unix(first, 0).UTC(), time.Unix(lastT, 0).UTC(), time.Unix(ends, 0).UTC()
		iv.ORPort, iv.DirPort = uint16(or), uint16(dir)
		if err := fn(iv); err != nil {
			return err
		}
	}
	return rows.Err()
}

// TorExitScans calls fn with every exit-scan observation.
func (s *Store) TorExitScans(ctx context.Context, fn func(TorExitScan) error) error {
	rows, err := s.query(ctx, "SELECT addr, fingerprint, seen, published, last_status FROM tor_exit_scans")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x TorExitScan
		var addr []byte
		var seen, pub, ls int64
		if err := rows.Scan(&addr, &x.Fingerprint, &seen, &pub, &ls); err != nil {
			return err
		}
		if x.Addr, err = addrFrom(addr); err != nil {
			return err
		}
		x.Seen, x.Published, x.LastStatus = time.Unix(seen, 0).UTC(), time.Unix(pub, 0).UTC(), time.Unix(ls, 0).UTC()
		if err := fn(x); err != nil {
			return err
		}
	}
	return rows.Err()
}

// TorState is a cheap summary that changes whenever Tor data is imported.
func (s *Store) TorState(ctx context.Context) (consensuses, scans int64, err error) {
	err = s.queryRow(ctx, "SELECT (SELECT COUNT(*) FROM tor_consensuses), (SELECT COUNT(*) FROM tor_exit_scans)").Scan(&consensuses, &scans)
	return consensuses, scans, err
}

// TorImports counts the imports of Tor data: one more after every import,
// so a reader can tell cheaply that the data changed.
func (s *Store) TorImports(ctx context.Context) (n int64, err error) {
	err = s.queryRow(ctx, "SELECT COUNT(*) FROM tor_imports").Scan(&n)
	return n, err
}

// AddTorConsensuses records imported consensuses; ones already present are
// left alone.
func (t *Tx) AddTorConsensuses(cs []TorConsensus) error {
	return t.batchInsert("tor_consensuses (valid_after, fresh_until, valid_until, relays)", 4, len(cs), " ON CONFLICT DO NOTHING", func(i int) []any {
		c := cs[i]
		return []any{c.ValidAfter.Unix(), c.FreshUntil.Unix(), c.ValidUntil.Unix(), c.Relays}
	})
}

// PutTorIntervals inserts intervals, or extends those already stored with
// the same address, fingerprint and first consensus.
func (t *Tx) PutTorIntervals(ivs []TorInterval) error {
	return t.batchInsert("tor_intervals ("+torIntervalCols+")", 12, len(ivs),
		" ON CONFLICT (addr, fingerprint, first) DO UPDATE SET last = excluded.last, ends = excluded.ends, consensuses = excluded.consensuses",
		func(i int) []any {
			iv := ivs[i]
			return []any{addrBytes(iv.Addr), iv.Fingerprint, iv.First.Unix(), iv.Last.Unix(), iv.Ends.Unix(), iv.Consensuses,
				iv.Nickname, int(iv.ORPort), int(iv.DirPort), iv.Flags, iv.ExitFlag, iv.ExitPolicy}
		})
}

// AddTorExitScans records exit-scan observations; repeats are ignored.
func (t *Tx) AddTorExitScans(xs []TorExitScan) error {
	return t.batchInsert("tor_exit_scans (addr, fingerprint, seen, published, last_status)", 5, len(xs), " ON CONFLICT DO NOTHING", func(i int) []any {
		x := xs[i]
		return []any{addrBytes(x.Addr), x.Fingerprint, x.Seen.Unix(), x.Published.Unix(), x.LastStatus.Unix()}
	})
}

// batchInsert inserts n rows of cols columns with multi-row statements.
func (t *Tx) batchInsert(into string, cols, n int, suffix string, row func(i int) []any) error {
	per := 900 / cols // SQLite allows 32,766 parameters; stay well below
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + into + " VALUES ")
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteByte(',')
			}
			sb.WriteString("(" + placeholders(cols) + ")")
			args = append(args, row(i)...)
		}
		sb.WriteString(suffix)
		if _, err := t.exec(sb.String(), args...); err != nil {
			return fmt.Errorf("store: insert into %s: %w", strings.Fields(into)[0], err)
		}
	}
	return nil
}
