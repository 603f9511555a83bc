package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/search"
)

// goMigrations are steps of migrations that SQL cannot take, run in the
// migration's transaction after its statements, by migration number.
var goMigrations = map[string]func(*Tx) error{
	"0008": indexAllForSearch,
	"0011": feedAll,
}

// recordSearchText returns the two texts a record is found by: what a
// caller who sees it in full may search (value, description, labels, tags,
// reference) and what one who sees it redacted may (labels, tags,
// reference: what the redacted form still shows).
func recordSearchText(r *intel.Record) (full, redacted string) {
	redacted = search.Text(append(append(append([]string{}, r.Labels...), r.Tags...), r.Reference)...)
	value := r.Value
	if r.Type == observable.Card {
		value = "" // a keyed hash: nobody searches for it
	}
	full = search.Text(value, r.Description)
	if redacted != "" {
		full = strings.TrimSpace(full + " " + redacted)
	}
	return full, redacted
}

func reportSearchText(r *intel.Report) string {
	return search.Text(append(append([]string{r.Title, r.Description}, r.Labels...), r.Tags...)...)
}

// searchTables names the tables of one kind of searchable object.
type searchTables struct {
	object, key string // the object's table and its id column in the search tables
	rows, index string // SQLite: the rowid map and the FTS5 table; PostgreSQL: index is the table
	cols        []string
}

var (
	recordSearch = searchTables{object: "records", key: "record_id", rows: "record_search_rows", index: "record_search", cols: []string{"full", "redacted"}}
	reportSearch = searchTables{object: "reports", key: "report_id", rows: "report_search_rows", index: "report_search", cols: []string{"text"}}
)

// indexForSearch adds the texts of objects (id, then one text per column)
// to the search index.
func (t *Tx) indexForSearch(st searchTables, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if t.d.name == "sqlite" {
		// Each object's rid, as its row in the map is inserted, becomes
		// its FTS rowid.
		fts := t.batchRows("INSERT INTO "+st.index+" (rowid, "+strings.Join(st.cols, ", ")+") VALUES ", "("+placeholders(1+len(st.cols))+")", 1+len(st.cols))
		defer fts.close()
		for start := 0; start < len(rows); start += insertChunk {
			part := rows[start:min(start+insertChunk, len(rows))]
			keys := make([]any, len(part))
			pos := make(map[string]int, len(part))
			for i, r := range part {
				keys[i], pos[r[0].(string)] = r[0], i
			}
			rids := make([]int64, len(part))
			err := t.reader().each("INSERT INTO "+st.rows+" ("+st.key+") VALUES "+rowsOf(len(part), "(?)")+" RETURNING rid, "+st.key, keys, func(rs *sql.Rows) error {
				var rid int64
				var key string
				if err := rs.Scan(&rid, &key); err != nil {
					return err
				}
				rids[pos[key]] = rid
				return nil
			})
			if err != nil {
				return err
			}
			for i, r := range part {
				if err := fts.add(append([]any{rids[i]}, r[1:]...)...); err != nil {
					return err
				}
			}
		}
		return fts.flush()
	}
	cols := make([]string, len(st.cols))
	row := "(?"
	for i, c := range st.cols {
		cols[i] = c + "_tsv"
		if c == "text" {
			cols[i] = "tsv"
		}
		row += ", to_tsvector('simple', ?)"
	}
	row += ")"
	b := t.batchRows("INSERT INTO "+st.index+" ("+st.key+", "+strings.Join(cols, ", ")+") VALUES ", row, 1+len(st.cols))
	defer b.close()
	for _, r := range rows {
		if err := b.add(r...); err != nil {
			return err
		}
	}
	return b.flush()
}

// reindexForSearch replaces an object's texts in the search index. On
// SQLite the object keeps its rid, and so its place in search results'
// order (see searchRecordsFTS).
func (t *Tx) reindexForSearch(st searchTables, row []any) error {
	if t.d.name == "sqlite" {
		var rid int64
		err := t.queryRow("SELECT rid FROM "+st.rows+" WHERE "+st.key+" = ?", row[0]).Scan(&rid)
		if errors.Is(err, sql.ErrNoRows) {
			return t.indexForSearch(st, [][]any{row})
		}
		if err != nil {
			return err
		}
		if _, err := t.exec("DELETE FROM "+st.index+" WHERE rowid = ?", rid); err != nil {
			return err
		}
		_, err = t.exec("INSERT INTO "+st.index+" (rowid, "+strings.Join(st.cols, ", ")+") VALUES ("+placeholders(1+len(st.cols))+")", append([]any{rid}, row[1:]...)...)
		return err
	}
	if _, err := t.exec("DELETE FROM "+st.index+" WHERE "+st.key+" = ?", row[0]); err != nil {
		return err
	}
	return t.indexForSearch(st, [][]any{row})
}

// ftsQuery returns the FTS5 query for column col matching q (SQLite).
func ftsQuery(col string, q search.Query) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{%s} : (", col)
	for i, p := range q {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(`"` + strings.Join(p, " ") + `"`) // words hold no quotes
	}
	b.WriteString(")")
	return b.String()
}

// searchCond returns the condition that an object's column col matches q,
// and its arguments.
func (d *dialect) searchCond(st searchTables, col string, q search.Query) (string, []any) {
	if d.name == "sqlite" {
		return fmt.Sprintf("%s.id IN (SELECT %s FROM %s WHERE rid IN (SELECT rowid FROM %s WHERE %s MATCH ?))",
			st.object, st.key, st.rows, st.index, st.index), []any{ftsQuery(col, q)}
	}
	tsv := col + "_tsv"
	if col == "text" {
		tsv = "tsv"
	}
	parts := make([]string, len(q))
	args := make([]any, len(q))
	for i, p := range q {
		parts[i] = "phraseto_tsquery('simple', ?)"
		args[i] = strings.Join(p, " ")
	}
	return fmt.Sprintf("%s.id IN (SELECT %s FROM %s WHERE %s @@ (%s))", st.object, st.key, st.index, tsv, strings.Join(parts, " && ")), args
}

// indexAllForSearch fills the search index from every record and report
// stored before it existed, a page at a time (a transaction's connection
// cannot write while it is still reading).
func indexAllForSearch(t *Tx) error {
	for _, kind := range []struct {
		st   searchTables
		text func(body string) ([]any, error)
	}{
		{recordSearch, func(body string) ([]any, error) {
			r, err := decodeRecord(body)
			full, red := recordSearchText(&r)
			return []any{r.ID, full, red}, err
		}},
		{reportSearch, func(body string) ([]any, error) {
			r, err := decodeReport(body)
			return []any{r.ID, reportSearchText(&r)}, err
		}},
	} {
		after := ""
		for {
			var rows [][]any
			err := t.reader().each("SELECT id, body FROM "+kind.st.object+" WHERE id > ? ORDER BY id LIMIT 4096", []any{after}, func(rs *sql.Rows) error {
				var body string
				if err := rs.Scan(&after, &body); err != nil {
					return err
				}
				row, err := kind.text(body)
				rows = append(rows, row)
				return err
			})
			if err != nil {
				return fmt.Errorf("index %s for search: %w", kind.st.object, err)
			}
			if err := t.indexForSearch(kind.st, rows); err != nil {
				return err
			}
			if len(rows) < 4096 {
				break
			}
		}
	}
	return nil
}
