package evidence

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/store"
)

// Witnessing: a second fusion instance, or any partner hub, co-signs this
// hub's checkpoints after checking that each is consistent with the last
// one it co-signed, so that a rewrite or rollback of the log — even by
// someone holding every secret of this hub — contradicts a signature held
// elsewhere. The protocol is C2SP tlog-witness (POST add-checkpoint with
// the old size, a consistency proof and the checkpoint), and cosignatures
// are C2SP tlog-cosignature v1 (timestamped Ed25519).
//
// SPEC: https://c2sp.org/tlog-witness
// SPEC: https://c2sp.org/tlog-cosignature

// Witness errors, each with the HTTP status tlog-witness gives it.
var (
	ErrUnknownLog      = errors.New("witness: the checkpoint's origin is not a log this witness knows")         // 404
	ErrWitnessForged   = errors.New("witness: no signature on the checkpoint verifies with the log's key")      // 403
	ErrWitnessRequest  = errors.New("witness: malformed add-checkpoint request")                                // 400
	ErrWitnessProof    = errors.New("witness: the consistency proof does not verify")                           // 422
	ErrWitnessConflict = errors.New("witness: the old size is not the size this witness last co-signed")        // 409
	ErrWitnessFork     = errors.New("witness: the checkpoint has the co-signed size but a different root hash") // 409
)

// ConflictError is a 409 answer: Size is what the witness last co-signed.
type ConflictError struct {
	Size int64
	Err  error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v (it last co-signed %d)", e.Err, e.Size)
}
func (e *ConflictError) Unwrap() error { return e.Err }

// Witness co-signs the checkpoints of the logs it is configured with,
// keeping what it last co-signed for each in its store, each update with a
// leaf in its own evidence log.
type Witness struct {
	st     *store.Store
	ev     *Log
	signer note.Signer
	vkey   string
	logs   map[string]note.Verifier
	mu     sync.Mutex
}

// GenerateWitnessKey returns a new witness signing key (a note Ed25519
// signer key named name) and its cosignature/v1 verifier key.
func GenerateWitnessKey(name string) (skey, vkey string, err error) {
	skey, plain, err := GenerateKey(name)
	if err != nil {
		return "", "", err
	}
	vkey, err = fnote.VKeyToCosignatureV1(plain)
	return skey, vkey, err
}

// NewWitness returns a witness signing with skey for the logs whose note
// verifier keys are logKeys; it keeps its state in ev's store and logs to ev.
func NewWitness(ev *Log, skey string, logKeys []string) (*Witness, error) {
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	plain, _, err := verifierKey(skey)
	if err != nil {
		return nil, err
	}
	vkey, err := fnote.VKeyToCosignatureV1(plain)
	if err != nil {
		return nil, err
	}
	w := &Witness{st: ev.st, ev: ev, signer: s, vkey: vkey, logs: map[string]note.Verifier{}}
	for _, k := range logKeys {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("witnessed log key %q: %w", k, err)
		}
		w.logs[v.Name()] = v
	}
	return w, nil
}

// VerifierKey is the witness's cosignature/v1 verifier key.
func (w *Witness) VerifierKey() string { return w.vkey }

// AddCheckpoint handles a tlog-witness add-checkpoint request body and
// returns the cosignature line(s) to answer with.
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	head, signed, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return nil, fmt.Errorf("%w: no blank line between the proof and the checkpoint", ErrWitnessRequest)
	}
	lines := strings.Split(string(head), "\n")
	oldText, ok := strings.CutPrefix(lines[0], "old ")
	old, err := strconv.ParseInt(oldText, 10, 64)
	if !ok || err != nil || old < 0 || strconv.FormatInt(old, 10) != oldText {
		return nil, fmt.Errorf("%w: first line %q is not \"old SIZE\"", ErrWitnessRequest, lines[0])
	}
	if len(lines)-1 > 63 {
		return nil, fmt.Errorf("%w: %d proof lines, at most 63", ErrWitnessRequest, len(lines)-1)
	}
	var proof tlog.TreeProof
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("%w: proof line %q is not a base64 SHA-256 hash", ErrWitnessRequest, l)
		}
		proof = append(proof, tlog.Hash(h))
	}
	origin, _, _ := bytes.Cut(signed, []byte("\n"))
	v, ok := w.logs[string(origin)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLog, origin)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWitnessForged, err)
	}
	cp, err := ParseCheckpointText(n.Text)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWitnessRequest, err)
	}
	if old > cp.Size {
		return nil, fmt.Errorf("%w: old size %d is larger than the checkpoint's %d", ErrWitnessRequest, old, cp.Size)
	}
	if old == 0 && len(proof) > 0 {
		return nil, fmt.Errorf("%w: a proof from size 0 must be empty", ErrWitnessRequest)
	}
	w.mu.Lock() // tlog-witness: check and persist atomically
	defer w.mu.Unlock()
	err = w.st.Update(ctx, func(tx *store.Tx) error {
		// The evidence lock serializes witnesses sharing one database too:
		// a row that does not exist yet cannot be locked.
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		prev, err := tx.WitnessLog(cp.Origin)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if old != prev.Size {
			return &ConflictError{Size: prev.Size, Err: ErrWitnessConflict}
		}
		if old == cp.Size {
			if !bytes.Equal(prev.Root, cp.Root[:]) && old > 0 {
				return &ConflictError{Size: prev.Size, Err: ErrWitnessFork}
			}
			if exists {
				return nil // co-signed already: sign again, record nothing new
			}
		} else if old > 0 {
			if len(prev.Root) != tlog.HashSize {
				return fmt.Errorf("witness: the stored root for %s is damaged", cp.Origin)
			}
			if err := tlog.CheckTree(proof, cp.Size, cp.Root, old, tlog.Hash(prev.Root)); err != nil {
				return fmt.Errorf("%w: from %d to %d: %v", ErrWitnessProof, old, cp.Size, err)
			}
		}
		row := store.WitnessLog{Origin: cp.Origin, Size: cp.Size, Root: cp.Root[:], Note: string(signed), Updated: w.ev.now().Truncate(time.Microsecond)}
		if err := tx.PutWitnessLog(row); err != nil {
			return err
		}
		var before []byte
		if exists {
			before = WitnessLogContent(prev)
		}
		return w.ev.Append(tx, Leaf{Action: WitnessCosign, Objects: []Object{ChangeOf(KindWitnessLog, row.Origin, "", before, WitnessLogContent(row))}})
	})
	if err != nil {
		return nil, err
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, err
	}
	_, sigs, _ := bytes.Cut(cosigned, []byte("\n\n"))
	return sigs, nil
}

// WitnessClient sends this hub's checkpoints to one witness.
type WitnessClient struct {
	URL string // the witness's submission prefix (…/api/v1/witness for a fusion hub)
	// Verifier, if not nil, checks the witness's cosignature.
	Verifier note.Verifier
	HTTP     *http.Client
	mu       sync.Mutex
	size     int64 // what the witness last co-signed, as far as known
}

// NewWitnessVerifier returns a verifier for a witness's cosignature/v1 key.
func NewWitnessVerifier(vkey string) (note.Verifier, error) {
	return fnote.NewVerifierForCosignatureV1(strings.TrimSpace(vkey))
}

// ErrWitnessAnswer means a witness's answer was not what the protocol
// allows, or its cosignature did not verify with the witness's key.
var ErrWitnessAnswer = errors.New("evidence: the witness's answer does not verify")

// Witness asks w to co-sign the newest checkpoint of the log (signing one
// if the log grew), checks the cosignature with w.Verifier (required), and
// appends the co-signed checkpoint, with only that verified signature, to
// the anchor file. A witness's claim to have co-signed a larger tree than
// this log holds is reported as an error, not acted on: the claim is not
// signed, and anyone on the path could make it; a signed checkpoint of the
// witness is what to compare (verify --trusted).
func (l *Log) Witness(ctx context.Context, w *WitnessClient) (string, error) {
	if w.Verifier == nil {
		return "", fmt.Errorf("evidence: witness %s: its cosignature key is required", w.URL)
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for attempt := 0; ; attempt++ {
		sigs, err := l.addCheckpoint(ctx, w, w.size, cp)
		var ce *ConflictError
		if errors.As(err, &ce) && attempt == 0 {
			if ce.Size > cp.Size {
				return "", fmt.Errorf("%w: witness %s says it co-signed a checkpoint of %d entries, but this log's newest is of %d: if it did, this log lost entries (compare with the witness's signed checkpoint: fusion evidence verify --trusted)",
					ErrWitnessAnswer, w.URL, ce.Size, cp.Size)
			}
			w.size = ce.Size
			continue
		}
		if err != nil {
			return "", err
		}
		n, err := note.Open([]byte(cp.Note+string(sigs)), note.VerifierList(w.Verifier))
		if err != nil || len(n.Sigs) != 1 {
			return "", fmt.Errorf("%w: witness %s answered without a valid cosignature by %s", ErrWitnessAnswer, w.URL, w.Verifier.Name())
		}
		w.size = cp.Size
		cosigned := cp.Note + "— " + n.Sigs[0].Name + " " + n.Sigs[0].Base64 + "\n"
		if l.anchor != nil {
			if err := l.anchor.Append(cosigned); err != nil {
				return "", err
			}
		}
		return cosigned, nil
	}
}

// addCheckpoint posts one add-checkpoint request.
func (l *Log) addCheckpoint(ctx context.Context, w *WitnessClient, old int64, cp Checkpoint) ([]byte, error) {
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", old)
	if old > 0 && old < cp.Size {
		proof, err := l.ConsistencyProof(ctx, old, cp.Size)
		if err != nil {
			return nil, err
		}
		for _, h := range proof {
			body.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
		}
	}
	body.WriteString("\n" + cp.Note)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(w.URL, "/")+"/add-checkpoint", &body)
	if err != nil {
		return nil, err
	}
	client := w.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("evidence: witness %s: %w", w.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("evidence: witness %s: %w", w.URL, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if !bytes.HasPrefix(data, []byte("— ")) || !bytes.HasSuffix(data, []byte("\n")) {
			return nil, fmt.Errorf("evidence: witness %s answered 200 without signature lines", w.URL)
		}
		return data, nil
	case http.StatusConflict:
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/x.tlog.size") {
			size, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
			if err == nil {
				return nil, &ConflictError{Size: size, Err: ErrWitnessConflict}
			}
		}
	}
	return nil, fmt.Errorf("evidence: witness %s answered %s: %s", w.URL, resp.Status, strings.TrimSpace(string(data)))
}
