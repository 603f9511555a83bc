// Package scenario generates synthetic worlds with ground truth — enterprise
// network logs, indicator sets, OTP request streams, airline bookings — for
// tests, benchmarks, demos and scored training exercises.
//
// A generator is a Kind. It writes its data files and one truth line per
// injected activity into a Run — truth.jsonl, a findings file (package
// finding) naming what a perfect detector would find — and the Run also
// writes scenario.json with the parameters. Generation is deterministic: the same parameters give the same
// bytes, so every random choice comes from Run.Rand streams seeded from the
// seed, never from the clock or from map order. Generators stream: memory
// does not grow with the size asked for.
//
// Everything generated is fictional. Values may coincide with real
// addresses, domains or numbers, so indicator records carry "[synthetic]" in
// their description and a "scenario/..." reference: never load them into a
// hub that shares with real partners.
package scenario

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"fusion/internal/finding"
	"fusion/internal/progress"
)

// DefaultStart is where generated time begins unless asked otherwise: a
// Monday, 00:00 UTC.
var DefaultStart = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// Params are everything a generator may be asked for. Kinds read the fields
// they use and ignore the others; all of them go into scenario.json.
type Params struct {
	Kind   string    `json:"kind"`
	Seed   uint64    `json:"seed"`
	Start  time.Time `json:"start"`
	Hosts  int       `json:"hosts,omitempty"`  // network
	Days   int       `json:"days,omitempty"`   // network
	Count  int64     `json:"count,omitempty"`  // intel, sms, transactions
	Format string    `json:"format,omitempty"` // network: "tsv" (Zeek's default) or "jsonl"
	// TorConsensus is a consensus file whose relays the network kind's Tor
	// users connect to.
	TorConsensus string `json:"-"`
	// Intel is the directory of an intel scenario whose values the network
	// kind's hosts contact.
	Intel string `json:"-"`
	// IntelRate is how many intel-contact episodes each host starts per
	// day, on average (network, with Intel).
	IntelRate float64 `json:"intel_rate,omitempty"`
	// Inputs records the inputs by base name and SHA-256, so that
	// scenario.json does not depend on where they were read from.
	Inputs map[string]string `json:"inputs,omitempty"`
}

// Kind is a generator.
type Kind struct {
	Name string
	// Summary says what the kind writes, for --help.
	Summary string
	// Defaults fills the size parameters the caller left at zero.
	Defaults func(p *Params)
	// Check refuses parameters the kind cannot honour, naming the flag.
	Check func(p *Params) error
	// Generate writes the scenario.
	Generate func(ctx context.Context, r *Run) error
}

var kinds []Kind

// Register adds a kind; kinds call it from init.
func Register(k Kind) {
	if slices.ContainsFunc(kinds, func(x Kind) bool { return x.Name == k.Name }) {
		panic("scenario: kind " + k.Name + " registered twice")
	}
	kinds = append(kinds, k)
}

// Kinds returns the registered kinds, by name.
func Kinds() []Kind {
	out := slices.Clone(kinds)
	slices.SortFunc(out, func(a, b Kind) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// Lookup returns the kind called name.
func Lookup(name string) (Kind, error) {
	for _, k := range kinds {
		if k.Name == name {
			return k, nil
		}
	}
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return Kind{}, fmt.Errorf("scenario kind %q: not a kind (%v)", name, names)
}

// Run is one generation: its parameters, its output directory and its
// truth file.
type Run struct {
	Params Params
	Dir    string
	// Progress receives the progress bar; nil for none.
	Progress io.Writer

	files []*file
	truth *json.Encoder
	tf    *file
}

type file struct {
	f *os.File
	w *bufio.Writer
}

// Generate runs kind k with p, writing into dir (created if missing).
func Generate(ctx context.Context, p Params, dir string, prog io.Writer) error {
	k, err := Lookup(p.Kind)
	if err != nil {
		return err
	}
	if p.Start.IsZero() {
		p.Start = DefaultStart
	}
	p.Start = p.Start.UTC()
	if k.Defaults != nil {
		k.Defaults(&p)
	}
	if k.Check != nil {
		if err := k.Check(&p); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := &Run{Params: p, Dir: dir, Progress: prog}
	if r.tf, err = r.create("truth.jsonl"); err != nil {
		return err
	}
	r.truth = json.NewEncoder(r.tf.w)
	r.truth.SetEscapeHTML(false)
	genErr := k.Generate(ctx, r)
	closeErr := r.close()
	if genErr != nil {
		return fmt.Errorf("scenario %s: %w", p.Kind, genErr)
	}
	if closeErr != nil {
		return closeErr
	}
	meta, err := json.MarshalIndent(&r.Params, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "scenario.json"), append(meta, '\n'), 0o644)
}

func (r *Run) create(name string) (*file, error) {
	f, err := os.Create(filepath.Join(r.Dir, name))
	if err != nil {
		return nil, err
	}
	fl := &file{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	r.files = append(r.files, fl)
	return fl, nil
}

// Create opens a data file in the output directory; the Run flushes and
// closes it when the kind returns.
func (r *Run) Create(name string) (*bufio.Writer, error) {
	fl, err := r.create(name)
	if err != nil {
		return nil, err
	}
	return fl.w, nil
}

// Truth writes one truth line: an injected activity, as the finding that
// names it.
func (r *Run) Truth(t finding.Finding) error {
	t.Start, t.End = t.Start.UTC(), t.End.UTC()
	return r.truth.Encode(&t)
}

// Rand returns the random stream called name: the same seed and name give
// the same stream, and streams of different names are independent, so that
// adding a stream does not change the others.
func (r *Run) Rand(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(r.Params.Seed, h.Sum64()))
}

// Bar returns a progress bar for total units.
func (r *Run) Bar(label string, total int64, unit string) *progress.Bar {
	w := r.Progress
	if w == nil {
		w = io.Discard
	}
	return progress.New(w, label, total, unit)
}

// Input records an input file by base name and SHA-256 in the parameters.
func (r *Run) Input(path string, sum string) {
	if r.Params.Inputs == nil {
		r.Params.Inputs = map[string]string{}
	}
	r.Params.Inputs[filepath.Base(path)] = sum
}

func (r *Run) close() error {
	var errs []error
	for _, f := range r.files {
		errs = append(errs, f.w.Flush(), f.f.Close())
	}
	return errors.Join(errs...)
}
