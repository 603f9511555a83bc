package store

// InsertHitQuery stores a hit/no-hit query.
func (t *Tx) InsertHitQuery(q HitQuery) error {
	_, err := t.exec("INSERT INTO hit_queries (id, org_id, token_id, created, hashes) VALUES (?, ?, ?, ?, ?)", q.ID, q.Org, q.TokenID, micros(q.Created), q.Hashes)
	return err
}
