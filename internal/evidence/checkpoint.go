package evidence

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrInconsistent means the log no longer agrees with a checkpoint signed
// earlier: it was rewritten. Such a log is never signed again.
var ErrInconsistent = errors.New("evidence: log is inconsistent with an earlier checkpoint")

// Notary signs checkpoints with the hub's Ed25519 key. The key's name is the
// log's origin line.
type Notary struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	// macKey authenticates leaves (see LeafMAC); derived from the signing key.
	macKey []byte
}

// GenerateKey returns a new signer key and its verifier key, in the
// golang.org/x/mod/sumdb/note text forms, for a log named origin.
func GenerateKey(origin string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// NewNotary returns a notary for the signer key skey.
func NewNotary(skey string) (*Notary, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("evidence: signer key: %w", err)
	}
	vkey, seed, err := verifierKey(skey)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("evidence: verifier key: %w", err)
	}
	return &Notary{signer: s, verifier: v, vkey: vkey, macKey: deriveMACKey(seed)}, nil
}

// verifierKey derives the verifier key from a note signer key
// ("PRIVATE+KEY+name+hash+base64(0x01 | seed)"), and returns the seed.
func verifierKey(skey string) (string, []byte, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", nil, errors.New("evidence: not a signer key")
	}
	seed, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(seed) != 33 || seed[0] != 1 {
		return "", nil, errors.New("evidence: signer key is not an Ed25519 key")
	}
	vkey, err := note.NewEd25519VerifierKey(parts[2], ed25519Public(seed[1:]))
	return vkey, seed[1:], err
}

// MACKey returns the key leaves are authenticated with.
func (n *Notary) MACKey() []byte { return n.macKey }

// Origin is the log's name, the first line of its checkpoints.
func (n *Notary) Origin() string { return n.signer.Name() }

// VerifierKey is the public key in note text form, for bundles and auditors.
func (n *Notary) VerifierKey() string { return n.vkey }

// Verifier checks the notary's signatures.
func (n *Notary) Verifier() note.Verifier { return n.verifier }

// Checkpoint is a parsed, verified checkpoint.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	// Note is the whole signed note, as served and stored.
	Note string
}

// checkpointText is the body of a C2SP tlog-checkpoint.
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// OpenCheckpoint verifies a signed checkpoint with v and parses it.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("evidence: checkpoint signature: %w", err)
	}
	c, err := ParseCheckpointText(n.Text)
	if err != nil {
		return c, err
	}
	if c.Origin != v.Name() {
		return c, fmt.Errorf("evidence: checkpoint origin %q is not the key's name %q", c.Origin, v.Name())
	}
	c.Note = string(signed)
	return c, nil
}

// ParseCheckpointText parses the body of a checkpoint (origin, size, root,
// and optional extension lines, which are ignored).
func ParseCheckpointText(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return Checkpoint{}, errors.New("evidence: checkpoint needs origin, size and root hash lines")
	}
	if lines[0] == "" {
		return Checkpoint{}, errors.New("evidence: checkpoint origin line is empty")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("evidence: checkpoint size %q is not a decimal number", lines[1])
	}
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("evidence: checkpoint root %q is not a base64 SHA-256 hash", lines[2])
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: tlog.Hash(h)}, nil
}

// LatestCheckpoint returns the latest stored checkpoint, verified with v.
func (l *Log) LatestCheckpoint(ctx context.Context, v note.Verifier) (Checkpoint, error) {
	c, err := l.st.LatestCheckpoint(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	return OpenCheckpoint([]byte(c.Note), v)
}

// FormatProof returns a C2SP tlog-proof: the index, the inclusion proof and
// the signed checkpoint it leads to.
func FormatProof(index int64, proof tlog.RecordProof, signedCheckpoint string) string {
	var b strings.Builder
	b.WriteString("c2sp.org/tlog-proof@v1\n")
	fmt.Fprintf(&b, "index %d\n", index)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedCheckpoint)
	return b.String()
}

// ParseProof parses a C2SP tlog-proof into its index, proof hashes and
// signed checkpoint.
func ParseProof(text string) (int64, tlog.RecordProof, string, error) {
	head, checkpoint, ok := strings.Cut(text, "\n\n")
	if !ok {
		return 0, nil, "", errors.New("evidence: tlog-proof has no blank line before its checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return 0, nil, "", fmt.Errorf("evidence: tlog-proof starts with %q", lines[0])
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return 0, nil, "", errors.New("evidence: tlog-proof has no index line")
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[0], "index "), 10, 64)
	if err != nil || index < 0 {
		return 0, nil, "", fmt.Errorf("evidence: tlog-proof index %q", lines[0])
	}
	var proof tlog.RecordProof
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(h) != tlog.HashSize {
			return 0, nil, "", fmt.Errorf("evidence: tlog-proof hash %q is not a base64 SHA-256 hash", l)
		}
		proof = append(proof, tlog.Hash(h))
	}
	return index, proof, checkpoint, nil
}
