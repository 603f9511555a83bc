package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/intel"
)

// BundleFormat names the bundle format and its version.
const BundleFormat = "fusion-evidence-bundle/1"

// Bundle is a self-contained, offline-verifiable account of one record: its
// current content, every leaf about it with an inclusion proof (C2SP
// tlog-proof) to one signed checkpoint, and the key that signed it. Leaves
// and the record are carried as strings so that their exact bytes survive
// any re-formatting of the bundle.
type Bundle struct {
	Format    string        `json:"format"`
	Origin    string        `json:"origin"`
	PublicKey string        `json:"public_key"`
	RecordID  string        `json:"record_id"`
	Record    string        `json:"record"`
	Entries   []BundleEntry `json:"entries"`
}

// BundleEntry is one leaf and its proof.
type BundleEntry struct {
	Leaf  string `json:"leaf"`
	Proof string `json:"proof"`
}

// Export builds the bundle for record id, under a checkpoint of the whole
// log signed now by the log's notary.
func (l *Log) Export(ctx context.Context, id string) (*Bundle, error) {
	body, err := l.st.RecordBody(ctx, id)
	if err != nil {
		return nil, err
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	n := l.n
	b := &Bundle{Format: BundleFormat, Origin: n.Origin(), PublicKey: n.VerifierKey(), RecordID: id, Record: string(body)}
	err = l.Leaves(ctx, 0, cp.Size, func(seq int64, data []byte) error {
		leaf, err := ParseLeaf(data)
		if err != nil {
			return fmt.Errorf("leaf %d: %w", seq, err)
		}
		if _, ok := leaf.About(KindRecord, id); !ok {
			return nil
		}
		proof, err := l.InclusionProof(ctx, seq, cp.Size)
		if err != nil {
			return err
		}
		b.Entries = append(b.Entries, BundleEntry{Leaf: string(data), Proof: FormatProof(seq, proof, cp.Note)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(b.Entries) == 0 {
		return nil, fmt.Errorf("evidence: record %s has no evidence entries", id)
	}
	return b, nil
}

// Custody is a checked bundle: what the record is and what happened to it.
type Custody struct {
	RecordID   string
	Record     intel.Record
	Checkpoint Checkpoint
	KeyTrusted bool
	Leaves     []Leaf
	// Current is the index in Leaves of the change that produced the
	// record's content as bundled.
	Current int
}

// CheckBundle verifies a bundle with no database: the checkpoint's
// signature, every leaf's inclusion proof, that every leaf is about the
// record, and that the record's content is what its latest change leaf
// says. If trusted is not empty, it is the verifier key the bundle's key
// must equal; otherwise the bundle's own key is used and Custody.KeyTrusted
// is false.
func CheckBundle(data []byte, trusted string) (*Custody, error) {
	var b Bundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("evidence: not a bundle: %w", err)
	}
	if b.Format != BundleFormat {
		return nil, fmt.Errorf("evidence: bundle format %q, want %q", b.Format, BundleFormat)
	}
	key := b.PublicKey
	if trusted != "" {
		if strings.TrimSpace(trusted) != b.PublicKey {
			return nil, fmt.Errorf("evidence: the bundle was signed by key %q, not by the trusted key", b.PublicKey)
		}
		key = strings.TrimSpace(trusted)
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return nil, fmt.Errorf("evidence: bundle key: %w", err)
	}
	c := &Custody{RecordID: b.RecordID, KeyTrusted: trusted != "", Current: -1}
	if len(b.Entries) == 0 {
		return nil, fmt.Errorf("evidence: the bundle holds no entries")
	}
	lastSeq := int64(-1)
	lastChange := ""
	for i, e := range b.Entries {
		index, proof, signed, err := ParseProof(e.Proof)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		cp, err := OpenCheckpoint([]byte(signed), v)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if i == 0 {
			c.Checkpoint = cp
		} else if cp.Note != c.Checkpoint.Note {
			return nil, fmt.Errorf("entry %d: proves against a different checkpoint than entry 0", i)
		}
		if err := tlog.CheckRecord(proof, cp.Size, cp.Root, index, tlog.RecordHash([]byte(e.Leaf))); err != nil {
			return nil, fmt.Errorf("entry %d (leaf %d): the leaf is not in the signed log: %v", i, index, err)
		}
		leaf, err := ParseLeaf([]byte(e.Leaf))
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if leaf.Seq != index {
			return nil, fmt.Errorf("entry %d: leaf says it is leaf %d, its proof is for leaf %d", i, leaf.Seq, index)
		}
		if index <= lastSeq {
			return nil, fmt.Errorf("entry %d: leaves are not in increasing order", i)
		}
		lastSeq = index
		obj, ok := leaf.About(KindRecord, b.RecordID)
		if !ok {
			return nil, fmt.Errorf("entry %d: leaf %d is not about record %s", i, index, b.RecordID)
		}
		if leaf.Role(obj) == Changed {
			lastChange, c.Current = obj.SHA256, len(c.Leaves)
		}
		c.Leaves = append(c.Leaves, leaf)
	}
	if lastChange == "" {
		return nil, fmt.Errorf("evidence: the bundle holds no change of record %s", b.RecordID)
	}
	if Sum([]byte(b.Record)) != lastChange {
		return nil, fmt.Errorf("evidence: the bundled record does not match its latest change (leaf %d): it was altered", c.Leaves[c.Current].Seq)
	}
	if err := json.Unmarshal([]byte(b.Record), &c.Record); err != nil || c.Record.ID != b.RecordID {
		return nil, fmt.Errorf("evidence: the bundled record is not record %s", b.RecordID)
	}
	return c, nil
}

// Print writes the chain of custody for people to read.
func (c *Custody) Print(w io.Writer) {
	r := c.Record
	fmt.Fprintf(w, "Record %s: %s %s\n", c.RecordID, r.Type, orDash(r.Value))
	fmt.Fprintf(w, "  originator %s, TLP %s, labels %s, version %d", r.Originator, strings.ToUpper(string(r.TLP)), orDash(strings.Join(r.Labels, ", ")), r.Version)
	if r.Revoked != nil {
		fmt.Fprintf(w, ", revoked %s", r.Revoked.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "\nLog %s, checkpoint of %d entries, root %x\n", c.Checkpoint.Origin, c.Checkpoint.Size, c.Checkpoint.Root[:8])
	if c.KeyTrusted {
		fmt.Fprintln(w, "  signature verified with the trusted key given")
	} else {
		fmt.Fprintln(w, "  signature verified with the key inside the bundle: compare that key with the one the hub publishes (--key)")
	}
	fmt.Fprintf(w, "\nChain of custody (%d entries, each proven included in the signed log):\n", len(c.Leaves))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LEAF\tTIME (UTC)\tORGANIZATION\tTOKEN\tACTION\tPURPOSE\tCONTENT")
	for i, l := range c.Leaves {
		org, tok := l.Org, l.Token
		if org == "" {
			org, tok = "hub operator", "-"
		}
		obj, _ := l.About(KindRecord, c.RecordID)
		content := "-"
		if obj.SHA256 != "" {
			content = obj.SHA256[:12]
		}
		if i == c.Current {
			content += " = bundled record"
		}
		action := describe(l.Action)
		if n := len(l.Objects); n > 1 {
			action = fmt.Sprintf("%s (with %d other objects)", action, n-1)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Seq, l.Time.Format("2006-01-02 15:04:05"), org, tok, action, orDash(l.Purpose), content)
	}
	tw.Flush()
}

func describe(a Action) string {
	switch a {
	case RecordCreate:
		return "submitted"
	case RecordUpdate:
		return "changed"
	case RecordRevoke:
		return "revoked"
	case Disclose:
		return "disclosed to"
	case Hit:
		return "hit by query of"
	case Sighting:
		return "sighted by"
	case Feedback:
		return "feedback from"
	case AccessRequest:
		return "access requested by"
	case AccessGrant:
		return "access granted"
	case AccessDeny:
		return "access denied"
	}
	return string(a)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
