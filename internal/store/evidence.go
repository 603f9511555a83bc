package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fusion/internal/intel"
)

// EvidenceSize returns the evidence log's size and locks it until the
// transaction ends, so that appends are serialized across processes.
func (t *Tx) EvidenceSize() (int64, error) {
	var n int64
	err := t.queryRow("SELECT size FROM evidence_head WHERE id = 1" + t.d.forUpdate).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: evidence size: %w", err)
	}
	return n, nil
}

// LockEvidence takes the evidence log's append lock for the rest of the
// transaction (as EvidenceSize does). A transaction that reads an object
// to log its content before and after a change takes it first, so that no
// other change to the object can commit between the read and the leaf.
func (t *Tx) LockEvidence() error {
	_, err := t.EvidenceSize()
	return err
}

// EvidenceLeafStats returns how many leaves are stored and the smallest
// and largest sequence numbers (both -1 when there are none).
func (s *Store) EvidenceLeafStats(ctx context.Context) (count, first, last int64, err error) {
	var lo, hi sql.NullInt64
	err = s.queryRow(ctx, "SELECT COUNT(*), MIN(seq), MAX(seq) FROM evidence_leaves").Scan(&count, &lo, &hi)
	if !lo.Valid {
		return count, -1, -1, err
	}
	return count, lo.Int64, hi.Int64, err
}

// EvidenceSize returns the evidence log's committed size.
func (s *Store) EvidenceSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.queryRow(ctx, "SELECT size FROM evidence_head WHERE id = 1").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: evidence size: %w", err)
	}
	return n, nil
}

// IndexedHash is a stored tree hash at its tlog.StoredHashIndex.
type IndexedHash struct {
	Index int64
	Hash  []byte
}

// ErrEvidenceTail means leaves or tree hashes exist beyond the evidence
// log's recorded size: the tables were edited outside fusion.
var ErrEvidenceTail = errors.New("store: the evidence log holds leaves or tree hashes beyond its recorded size")

// AppendEvidence stores leaves from sequence number start (the current
// size) with their MACs, the tree hashes they complete, and the new size.
func (t *Tx) AppendEvidence(start int64, leaves, macs [][]byte, hashes []IndexedHash) error {
	if len(macs) != len(leaves) {
		return fmt.Errorf("store: append evidence: %d leaves with %d MACs", len(leaves), len(macs))
	}
	lb := t.batch("INSERT INTO evidence_leaves (seq, data, mac) VALUES ", 3)
	defer lb.close()
	for i, l := range leaves {
		if err := lb.add(start+int64(i), l, macs[i]); err != nil {
			return tailErr(start, "leaves", err)
		}
	}
	if err := lb.flush(); err != nil {
		return tailErr(start, "leaves", err)
	}
	hb := t.batch("INSERT INTO evidence_hashes (idx, hash) VALUES ", 2)
	defer hb.close()
	for _, h := range hashes {
		if err := hb.add(h.Index, h.Hash); err != nil {
			return tailErr(start, "hashes", err)
		}
	}
	if err := hb.flush(); err != nil {
		return tailErr(start, "hashes", err)
	}
	res, err := t.exec("UPDATE evidence_head SET size = ? WHERE id = 1 AND size = ?", start+int64(len(leaves)), start)
	if err != nil {
		return fmt.Errorf("store: evidence size: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: evidence log grew underneath: %w", ErrConflict)
	}
	return nil
}

func tailErr(size int64, what string, err error) error {
	if isUnique(err) {
		return fmt.Errorf("%w (%s found at size %d)", ErrEvidenceTail, what, size)
	}
	return fmt.Errorf("store: append evidence %s: %w", what, err)
}

// EvidenceHashes reads stored tree hashes by index, inside the transaction.
func (t *Tx) EvidenceHashes(indexes []int64) (map[int64][]byte, error) {
	return readHashes(func(q string, args ...any) (*sql.Rows, error) {
		return t.tx.QueryContext(t.ctx, t.d.q(q), args...)
	}, indexes)
}

// EvidenceHashes reads stored tree hashes by index.
func (s *Store) EvidenceHashes(ctx context.Context, indexes []int64) (map[int64][]byte, error) {
	return readHashes(func(q string, args ...any) (*sql.Rows, error) { return s.query(ctx, q, args...) }, indexes)
}

func readHashes(query func(string, ...any) (*sql.Rows, error), indexes []int64) (map[int64][]byte, error) {
	out := make(map[int64][]byte, len(indexes))
	const chunk = 500
	for start := 0; start < len(indexes); start += chunk {
		part := indexes[start:min(start+chunk, len(indexes))]
		args := make([]any, len(part))
		for i, x := range part {
			args[i] = x
		}
		rows, err := query("SELECT idx, hash FROM evidence_hashes WHERE idx IN ("+placeholders(len(part))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("store: read evidence hashes: %w", err)
		}
		for rows.Next() {
			var idx int64
			var h []byte
			if err := rows.Scan(&idx, &h); err != nil {
				rows.Close()
				return nil, err
			}
			out[idx] = h
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EvidenceLeaves calls fn for each stored leaf with from <= seq < to, in order.
// Missing sequence numbers are simply not visited: callers check continuity.
func (s *Store) EvidenceLeaves(ctx context.Context, from, to int64, fn func(seq int64, data []byte) error) error {
	rows, err := s.query(ctx, "SELECT seq, data FROM evidence_leaves WHERE seq >= ? AND seq < ? ORDER BY seq", from, to)
	if err != nil {
		return fmt.Errorf("store: read evidence leaves: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return err
		}
		if err := fn(seq, data); err != nil {
			return err
		}
	}
	return rows.Err()
}

// EvidenceLeafMACs calls fn for each stored leaf with from <= seq < to, in
// order, with its MAC (nil when the row has none).
func (s *Store) EvidenceLeafMACs(ctx context.Context, from, to int64, fn func(seq int64, data, mac []byte) error) error {
	return s.reader(ctx).leafMACs(from, to, fn)
}

func (r reader) leafMACs(from, to int64, fn func(seq int64, data, mac []byte) error) error {
	return r.each("SELECT seq, data, mac FROM evidence_leaves WHERE seq >= ? AND seq < ? ORDER BY seq", []any{from, to}, func(rows *sql.Rows) error {
		var seq int64
		var data, mac []byte
		if err := rows.Scan(&seq, &data, &mac); err != nil {
			return err
		}
		return fn(seq, data, mac)
	})
}

// EvidenceLeafMACs calls fn for each leaf with from <= seq < to, in order,
// with its MAC, inside the transaction.
func (t *Tx) EvidenceLeafMACs(from, to int64, fn func(seq int64, data, mac []byte) error) error {
	return t.reader().leafMACs(from, to, fn)
}

// AllEvidenceHashes calls fn for every stored tree hash in index order, for
// the verifier.
func (s *Store) AllEvidenceHashes(ctx context.Context, fn func(idx int64, hash []byte) error) error {
	rows, err := s.query(ctx, "SELECT idx, hash FROM evidence_hashes ORDER BY idx")
	if err != nil {
		return fmt.Errorf("store: read evidence hashes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return err
		}
		if err := fn(idx, h); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Checkpoint is a signed tree head as stored.
type Checkpoint struct {
	Size    int64
	Root    []byte
	Note    string
	Created time.Time
}

// InsertCheckpoint stores a signed checkpoint; one per size.
func (t *Tx) InsertCheckpoint(c Checkpoint) error {
	_, err := t.exec("INSERT INTO evidence_checkpoints (size, root, note, created) VALUES (?, ?, ?, ?)", c.Size, c.Root, c.Note, micros(c.Created))
	if isUnique(err) {
		return fmt.Errorf("checkpoint at size %d: %w", c.Size, ErrConflict)
	}
	return err
}

// LatestCheckpoint returns the checkpoint of the largest size, inside the
// transaction; ErrNotFound if none was issued.
func (t *Tx) LatestCheckpoint() (Checkpoint, error) {
	var c Checkpoint
	var created int64
	err := t.queryRow("SELECT size, root, note, created FROM evidence_checkpoints ORDER BY size DESC LIMIT 1").Scan(&c.Size, &c.Root, &c.Note, &created)
	c.Created = fromMicros(created)
	return c, notFound(err, "checkpoint")
}

// LatestCheckpoint returns the checkpoint of the largest size.
func (s *Store) LatestCheckpoint(ctx context.Context) (Checkpoint, error) {
	var c Checkpoint
	var created int64
	err := s.queryRow(ctx, "SELECT size, root, note, created FROM evidence_checkpoints ORDER BY size DESC LIMIT 1").Scan(&c.Size, &c.Root, &c.Note, &created)
	c.Created = fromMicros(created)
	return c, notFound(err, "checkpoint")
}

// Checkpoints returns every stored checkpoint, smallest first.
func (s *Store) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	rows, err := s.query(ctx, "SELECT size, root, note, created FROM evidence_checkpoints ORDER BY size")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var c Checkpoint
		var created int64
		if err := rows.Scan(&c.Size, &c.Root, &c.Note, &created); err != nil {
			return nil, err
		}
		c.Created = fromMicros(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// RecordRow is a record's row as stored, for the evidence verifier, which
// must see exactly what is in the table.
type RecordRow struct {
	ID, Type, Value, Originator, TLP string
	Personal, Discoverable           bool
	Created, Updated                 int64 // Unix microseconds
	Revoked                          sql.NullInt64
	Version                          int
	Body                             []byte
}

// ScanRecordRows calls fn for every record row, in id order.
func (s *Store) ScanRecordRows(ctx context.Context, fn func(RecordRow) error) error {
	rows, err := s.query(ctx, "SELECT id, type, value, originator, tlp, personal, discoverable, created, updated, revoked, version, body FROM records ORDER BY id")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r RecordRow
		var body string
		if err := rows.Scan(&r.ID, &r.Type, &r.Value, &r.Originator, &r.TLP, &r.Personal, &r.Discoverable, &r.Created, &r.Updated, &r.Revoked, &r.Version, &body); err != nil {
			return err
		}
		r.Body = []byte(body)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RecordTerms returns every record's lookup terms, by record id.
func (s *Store) RecordTerms(ctx context.Context) (map[string][]string, error) {
	rows, err := s.query(ctx, "SELECT record_id, term FROM record_terms ORDER BY record_id, term")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, term string
		if err := rows.Scan(&id, &term); err != nil {
			return nil, err
		}
		out[id] = append(out[id], term)
	}
	return out, rows.Err()
}

// Terms returns the lookup terms a record or report with this audience,
// labels and tags must have.
func Terms(a intel.Audience, labels, tags []string) []string {
	var out []string
	for i, t := range appendTerms(nil, "", a, labels, tags) {
		if i%2 == 0 {
			out = append(out, t.(string))
		}
	}
	return out
}

// ReportTerms returns the lookup terms report r must have: those of its
// audience and tags, and its source's.
func ReportTerms(r *intel.Report) []string {
	out := Terms(r.Audience, nil, r.Tags)
	if src := appendSourceTerm(nil, r); len(src) > 0 {
		out = append(out, src[0].(string))
	}
	return out
}

// RecordBody returns a record's stored body bytes.
func (s *Store) RecordBody(ctx context.Context, id string) ([]byte, error) {
	var body string
	if err := s.queryRow(ctx, "SELECT body FROM records WHERE id = ?", id).Scan(&body); err != nil {
		return nil, notFound(err, fmt.Sprintf("record %q", id))
	}
	return []byte(body), nil
}

// ReportIDs returns the ids of every report.
func (s *Store) ReportIDs(ctx context.Context) ([]string, error) {
	return s.strings(ctx, "SELECT id FROM reports ORDER BY id")
}

// TokenWithHash is a token and the SHA-256 of its secret, for the verifier.
type TokenWithHash struct {
	intel.Token
	Hash []byte
}

// AllTokens returns every token with its hash.
func (s *Store) AllTokens(ctx context.Context) ([]TokenWithHash, error) {
	rows, err := s.query(ctx, "SELECT "+tokenColumns+", hash FROM tokens ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TokenWithHash
	for rows.Next() {
		var t TokenWithHash
		var created int64
		var revoked, used sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Org, &t.Role, &t.Name, &created, &revoked, &used, &t.Hash); err != nil {
			return nil, err
		}
		t.Created, t.Revoked, t.LastUsed = fromMicros(created), fromNullMicros(revoked), fromNullMicros(used)
		out = append(out, t)
	}
	return out, rows.Err()
}
