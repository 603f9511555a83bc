// Command matchfloor measures the match index against its floor in one
// run: a plain Go loader and hash set of the same values. Both files are
// read into memory first, so that neither side pays for the disk; then,
// COUNT times, alternating which goes first (and MATCHES pairs of matches
// each time):
//
//   - build: match.LoadJSONL into a fresh index, against a plain loader
//     that reads the same chunks and decodes each line's type and value
//     only, on as many cores, into a presized map[string]struct{};
//   - match: every event of the log through match.Matcher, as `fusion
//     match` does it (CIDR, parent-domain and URL matching included),
//     against looking up the same exact field values (id.orig_h,
//     id.resp_h, query, host, …: what the Extractor looks up) in that map.
//
// It prints each round, the medians, the ratios (floor time / index time
// for matching, index time / floor time for the build) in wall time and in
// the process's CPU time (which other load on a shared machine disturbs
// less), and the index's live heap.
//
//	go run ./bench/matchfloor --indicators records.jsonl --in conn.log --count 5 --matches 3
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"syscall"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"fusion/internal/match"
	"fusion/internal/observable"
	"fusion/internal/zeek"
)

func main() {
	indicators := flag.String("indicators", "", "records `FILE` (JSON lines)")
	in := flag.String("in", "", "Zeek `LOG` to match")
	count := flag.Int("count", 5, "rounds of builds")
	matches := flag.Int("matches", 3, "pairs of matches in each round")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (index and floor) to `FILE`")
	flag.Parse()
	recs, err := os.ReadFile(*indicators)
	if err != nil {
		log.Fatal(err)
	}
	logData, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	canon, err := observable.New(make([]byte, 32))
	if err != nil {
		log.Fatal(err)
	}
	if *cpuprofile != "" {
		prof, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(prof)
		defer pprof.StopCPUProfile()
	}

	var buildIx, buildFloor, matchIx, matchFloor []float64             // wall seconds
	var cpuBuildIx, cpuBuildFloor, cpuMatchIx, cpuMatchFloor []float64 // CPU seconds of the process
	var live uint64
	var events, hitsIx, hitsFloor int
	for round := range *count {
		var set map[string]struct{}
		var ix *match.Index
		floorBuild := func() {
			t, c := time.Now(), cpu()
			set = plainLoad(bytes.NewReader(recs), bytes.Count(recs, []byte{'\n'}))
			buildFloor, cpuBuildFloor = append(buildFloor, time.Since(t).Seconds()), append(cpuBuildFloor, cpu()-c)
		}
		ixBuild := func() {
			t, c := time.Now(), cpu()
			ix = match.New(0)
			if _, err := match.LoadJSONL(bytes.NewReader(recs), canon, ix, nil); err != nil {
				log.Fatal(err)
			}
			buildIx, cpuBuildIx = append(buildIx, time.Since(t).Seconds()), append(cpuBuildIx, cpu()-c)
		}
		// The index's live heap: the heap after its build, collected, less
		// the heap before it.
		measured := func() {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ixBuild()
			runtime.GC()
			runtime.ReadMemStats(&after)
			live = after.HeapAlloc - before.HeapAlloc
		}
		if round%2 == 0 {
			floorBuild()
			measured()
		} else {
			measured()
			floorBuild()
		}

		ixMatch := func() {
			t, c := time.Now(), cpu()
			events, hitsIx = matchIndex(logData, ix, canon)
			matchIx, cpuMatchIx = append(matchIx, time.Since(t).Seconds()), append(cpuMatchIx, cpu()-c)
		}
		floorMatch := func() {
			t, c := time.Now(), cpu()
			hitsFloor = matchSet(logData, set)
			matchFloor, cpuMatchFloor = append(matchFloor, time.Since(t).Seconds()), append(cpuMatchFloor, cpu()-c)
		}
		for k := range *matches {
			if (round+k)%2 == 0 {
				floorMatch()
				ixMatch()
			} else {
				ixMatch()
				floorMatch()
			}
		}
		fmt.Printf("round %d: build index %.3fs floor %.3fs (%.2fx); match", round+1, buildIx[round], buildFloor[round], buildIx[round]/buildFloor[round])
		for k := len(matchIx) - *matches; k < len(matchIx); k++ {
			fmt.Printf(" index %.3fs floor %.3fs (%.2fx);", matchIx[k], matchFloor[k], matchFloor[k]/matchIx[k])
		}
		fmt.Println()
		runtime.KeepAlive(ix)
	}
	ratio := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for i := range a {
			out[i] = a[i] / b[i]
		}
		return out
	}
	fmt.Printf("\nindicators: %d lines; events: %d; events with an index match: %d, with a floor match: %d\n", bytes.Count(recs, []byte{'\n'}), events, hitsIx, hitsFloor)
	fmt.Printf("%-40s %10s\n", "", "median")
	fmt.Printf("%-40s %10.3f s\n", "index build", median(buildIx))
	fmt.Printf("%-40s %10.3f s\n", "floor build (type+value, hash set)", median(buildFloor))
	fmt.Printf("%-40s %10.2f x   (target <= 2)\n", "index build / floor build", median(ratio(buildIx, buildFloor)))
	fmt.Printf("%-40s %10.3f s  %.0f events/s\n", "index match", median(matchIx), float64(events)/median(matchIx))
	fmt.Printf("%-40s %10.3f s  %.0f events/s\n", "floor match (exact values, hash set)", median(matchFloor), float64(events)/median(matchFloor))
	fmt.Printf("%-40s %10.2f x   (target >= 0.8)\n", "index match rate / floor rate", median(ratio(matchFloor, matchIx)))
	fmt.Printf("%-40s %10d MiB\n", "index live heap", live>>20)
	fmt.Printf("\nCPU time of the process (user+system), less sensitive to other load:\n")
	fmt.Printf("%-40s %10.3f s / %.3f s\n", "build: index / floor", median(cpuBuildIx), median(cpuBuildFloor))
	fmt.Printf("%-40s %10.2f x   (target <= 2)\n", "CPU index build / floor build", median(ratio(cpuBuildIx, cpuBuildFloor)))
	fmt.Printf("%-40s %10.3f s / %.3f s\n", "match: index / floor", median(cpuMatchIx), median(cpuMatchFloor))
	fmt.Printf("%-40s %10.2f x   (target >= 0.8)\n", "CPU floor match / index match", median(ratio(cpuMatchFloor, cpuMatchIx)))
}

// cpu returns the process's user and system CPU seconds so far.
func cpu() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// plainLoad is the floor of the build: r read in chunks of whole lines
// of about 1 MiB (buffers reused), each line's type and value decoded
// (nothing else, nothing canonicalized or validated) by GOMAXPROCS
// workers, and the values put into a hash set presized to the number of
// lines.
func plainLoad(r io.Reader, lines int) map[string]struct{} {
	set := make(map[string]struct{}, lines)
	chunks := make(chan []byte, 4)
	free := make(chan []byte, 8)
	out := make(chan []string, 4)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range chunks {
				vals := make([]string, 0, bytes.Count(c, []byte{'\n'})+1)
				for line := range bytes.Lines(c) {
					var r struct {
						Type  string `json:"type"`
						Value string `json:"value"`
					}
					if err := jsonv2.Unmarshal(line, &r); err != nil {
						log.Fatal(err)
					}
					vals = append(vals, r.Value)
				}
				out <- vals
				select {
				case free <- c:
				default:
				}
			}
		}()
	}
	go func() {
		var carry []byte
		for {
			var buf []byte
			select {
			case b := <-free:
				buf = b[:cap(b)]
			default:
				buf = make([]byte, 1<<20+len(carry))
			}
			k := copy(buf, carry)
			n, err := io.ReadFull(r, buf[k:])
			buf = buf[:k+n]
			if err != nil { // the end
				if len(buf) > 0 {
					chunks <- buf
				}
				break
			}
			end := bytes.LastIndexByte(buf, '\n') + 1
			carry = append(carry[:0:0], buf[end:]...)
			chunks <- buf[:end]
		}
		close(chunks)
		wg.Wait()
		close(out)
	}()
	for vals := range out {
		for _, v := range vals {
			set[v] = struct{}{}
		}
	}
	return set
}

// matchIndex matches every event as `fusion match` does, counting the
// events with a finding.
func matchIndex(data []byte, ix *match.Index, canon *observable.Canonicalizer) (events, matched int) {
	src, err := match.NewSource(bytes.NewReader(data), "zeek")
	if err != nil {
		log.Fatal(err)
	}
	m := &match.Matcher{Observer: match.Observer{Index: ix, Canon: canon}}
	for src.Next() {
		events++
		if len(m.Event(src.Row)) > 0 {
			matched++
		}
	}
	if err := src.Err(); err != nil {
		log.Fatal(err)
	}
	return events, matched
}

// matchSet reads the same log with the same reader and looks the values
// of the fields the Extractor reads up in set, exactly as they are written.
func matchSet(data []byte, set map[string]struct{}) (matched int) {
	r, err := zeek.NewReader(bytes.NewReader(data))
	if err != nil {
		log.Fatal(err)
	}
	var fields []int
	nField := -1
	for r.Next() {
		if n := len(r.Fields()); n != nField {
			nField, fields = n, fields[:0]
			for _, name := range []string{"id.resp_h", "id.orig_h", "src_ip", "dst_ip", "client_ip", "query", "host", "server_name", "answers", "value", "values"} {
				if i := r.Index(name); i >= 0 {
					fields = append(fields, i)
				}
			}
		}
		hit := false
		for _, i := range fields {
			if _, ok := set[string(r.Bytes(i))]; ok {
				hit = true
			}
		}
		if hit {
			matched++
		}
	}
	if err := r.Err(); err != nil {
		log.Fatal(err)
	}
	return matched
}
