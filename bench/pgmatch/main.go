// Command pgmatch is the PostgreSQL baseline of bench/match.sh: the same
// indicators as `fusion match` loaded into indexed tables, and each event of
// a Zeek conn log looked up with one SQL round trip, as a MISP-style
// attribute search does. It prints JSON: load time and events per second.
//
//	go run ./bench/pgmatch --dsn DSN --indicators records.jsonl --in conn.log --events 200000
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/zeek"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("FUSION_TEST_POSTGRES"), "PostgreSQL `DSN`")
	indicators := flag.String("indicators", "", "records `FILE` (JSON lines), loaded unless --skip-load")
	in := flag.String("in", "", "Zeek conn `LOG` to match")
	events := flag.Int("events", 200000, "match the first `N` events")
	skipLoad := flag.Bool("skip-load", false, "reuse the tables of an earlier run")
	flag.Parse()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)
	out := map[string]any{}
	if !*skipLoad {
		n, took, err := load(ctx, conn, *indicators)
		if err != nil {
			log.Fatal(err)
		}
		out["indicators"], out["load_seconds"] = n, took.Seconds()
	}
	var size int64
	if err := conn.QueryRow(ctx, `SELECT pg_total_relation_size('bench_iocs') + pg_total_relation_size('bench_cidrs')`).Scan(&size); err != nil {
		log.Fatal(err)
	}
	out["table_bytes"] = size
	n, matched, took, err := matchLog(ctx, conn, *in, *events)
	if err != nil {
		log.Fatal(err)
	}
	out["events"], out["matched_events"], out["match_seconds"], out["events_per_second"] = n, matched, took.Seconds(), float64(n)/took.Seconds()
	json.NewEncoder(os.Stdout).Encode(out)
}

// load creates the tables and copies the canonical values in: exact values
// with a B-tree index, CIDRs as cidr with a GiST index.
func load(ctx context.Context, conn *pgx.Conn, path string) (int, time.Duration, error) {
	began := time.Now()
	for _, q := range []string{
		`DROP TABLE IF EXISTS bench_iocs, bench_cidrs`,
		`CREATE UNLOGGED TABLE bench_iocs (id bigint, type text, value text)`,
		`CREATE UNLOGGED TABLE bench_cidrs (id bigint, net cidr)`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	canon, err := observable.New(make([]byte, 32))
	if err != nil {
		return 0, 0, err
	}
	var exact, cidrs [][]any
	n := 0
	flush := func() error {
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"bench_iocs"}, []string{"id", "type", "value"}, pgx.CopyFromRows(exact)); err != nil {
			return err
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"bench_cidrs"}, []string{"id", "net"}, pgx.CopyFromRows(cidrs)); err != nil {
			return err
		}
		exact, cidrs = exact[:0], cidrs[:0]
		return nil
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var in intel.RecordInput
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			return 0, 0, fmt.Errorf("line %d: %w", n+1, err)
		}
		r, err := intel.NewRecord(canon, in)
		if err != nil {
			return 0, 0, fmt.Errorf("line %d: %w", n+1, err)
		}
		n++
		if r.Type == observable.CIDR {
			cidrs = append(cidrs, []any{int64(n), r.Value})
		} else {
			exact = append(exact, []any{int64(n), string(r.Type), r.Value})
		}
		if len(exact)+len(cidrs) == 100000 {
			if err := flush(); err != nil {
				return 0, 0, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if err := flush(); err != nil {
		return 0, 0, err
	}
	for _, q := range []string{
		`CREATE INDEX ON bench_iocs (value)`,
		`CREATE INDEX ON bench_cidrs USING gist (net inet_ops)`,
		`ANALYZE bench_iocs`, `ANALYZE bench_cidrs`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	return n, time.Since(began), nil
}

// lookup finds the indicators of one conn event: both addresses as exact
// values and within CIDRs.
const lookup = `SELECT id FROM bench_iocs WHERE value IN ($1, $2)
UNION ALL SELECT id FROM bench_cidrs WHERE net >>= $1::inet
UNION ALL SELECT id FROM bench_cidrs WHERE net >>= $2::inet`

func matchLog(ctx context.Context, conn *pgx.Conn, path string, limit int) (n, matched int, took time.Duration, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	zr, err := zeek.NewReader(io.Reader(f))
	if err != nil {
		return 0, 0, 0, err
	}
	if _, err := conn.Prepare(ctx, "lookup", lookup); err != nil {
		return 0, 0, 0, err
	}
	var c zeek.Conn
	began := time.Now()
	for n < limit && zr.Next() {
		if err := zr.Conn(&c); err != nil {
			return 0, 0, 0, err
		}
		n++
		rows, err := conn.Query(ctx, "lookup", c.OrigH.String(), c.RespH.String())
		if err != nil {
			return 0, 0, 0, err
		}
		hit := false
		for rows.Next() {
			hit = true
		}
		if err := rows.Err(); err != nil {
			return 0, 0, 0, err
		}
		if hit {
			matched++
		}
	}
	return n, matched, time.Since(began), zr.Err()
}
