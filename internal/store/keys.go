package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RecordKey names a record by what makes it one: its originator's
// canonical value.
type RecordKey struct {
	Type, Value string
}

// RecordIDs returns the ids of the records org already holds for keys.
// The keys are looked up by type, so that each lookup is a seek on the
// primary key (originator, type, value), not a scan of org's keys.
func (t *Tx) RecordIDs(org string, keys []RecordKey) (map[RecordKey]string, error) {
	out := map[RecordKey]string{}
	byType := map[string][]string{}
	for _, k := range keys {
		byType[k.Type] = append(byType[k.Type], k.Value)
	}
	for typ, values := range byType {
		for start := 0; start < len(values); start += insertChunk {
			part := values[start:min(start+insertChunk, len(values))]
			args := []any{org, typ}
			for _, v := range part {
				args = append(args, v)
			}
			err := t.reader().each("SELECT value, record_id FROM record_keys WHERE originator = ? AND type = ? AND value IN ("+placeholders(len(part))+")", args, func(rs *sql.Rows) error {
				k := RecordKey{Type: typ}
				var id string
				if err := rs.Scan(&k.Value, &id); err != nil {
					return err
				}
				out[k] = id
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("store: record keys: %w", err)
			}
		}
	}
	return out, nil
}

// ClaimRecordKeys makes ids[i] the record of org for keys[i], for every key
// no record holds yet, and returns the keys that another writer claimed
// first (it waits for that writer to finish).
func (t *Tx) ClaimRecordKeys(org string, keys []RecordKey, ids []string) ([]RecordKey, error) {
	var taken []RecordKey
	for start := 0; start < len(keys); start += insertChunk {
		part := keys[start:min(start+insertChunk, len(keys))]
		args := make([]any, 0, 4*len(part))
		for i, k := range part {
			args = append(args, org, k.Type, k.Value, ids[start+i])
		}
		claimed := map[RecordKey]bool{}
		err := t.reader().each("INSERT INTO record_keys (originator, type, value, record_id) VALUES "+rowsOf(len(part), "(?, ?, ?, ?)")+
			" ON CONFLICT DO NOTHING RETURNING type, value", args, func(rs *sql.Rows) error {
			var k RecordKey
			if err := rs.Scan(&k.Type, &k.Value); err != nil {
				return err
			}
			claimed[k] = true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store: claim record keys: %w", err)
		}
		for _, k := range part {
			if !claimed[k] {
				taken = append(taken, k)
			}
		}
	}
	return taken, nil
}

// IdempotentAnswer is the stored answer to a request sent with an
// Idempotency-Key.
type IdempotentAnswer struct {
	Route       string
	RequestHash []byte
	Status      int
	Answer      []byte
	Created     time.Time
}

// Answer returns the answer org's request with key got, if any was kept.
func (s *Store) Answer(ctx context.Context, org, key string) (IdempotentAnswer, bool, error) {
	var a IdempotentAnswer
	var answer string
	var created int64
	err := s.queryRow(ctx, "SELECT route, request_hash, status, answer, created FROM idempotency_keys WHERE org = ? AND idem_key = ?", org, key).
		Scan(&a.Route, &a.RequestHash, &a.Status, &answer, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	a.Answer, a.Created = []byte(answer), fromMicros(created)
	return a, err == nil, err
}

// KeepAnswer stores the answer to org's request with key, in the
// transaction that did what it answers; a key already kept is a conflict.
// Answers older than before are dropped on the way.
func (t *Tx) KeepAnswer(org, key string, a IdempotentAnswer, before time.Time) error {
	if _, err := t.exec("DELETE FROM idempotency_keys WHERE created < ?", micros(before)); err != nil {
		return err
	}
	_, err := t.exec("INSERT INTO idempotency_keys (org, idem_key, route, request_hash, status, answer, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
		org, key, a.Route, a.RequestHash, a.Status, string(a.Answer), micros(a.Created))
	if isUnique(err) {
		return fmt.Errorf("idempotency key %q: %w", key, ErrConflict)
	}
	return err
}
