package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
)

// evidenceCheckpoint serves a signed checkpoint of the whole log in the
// C2SP tlog-checkpoint form, issuing a new one if the log grew (on demand).
func (s *Server) evidenceCheckpoint(w http.ResponseWriter, r *http.Request, _ *policy.Caller) {
	if s.notary == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "this hub has no checkpoint signing key")
		return
	}
	cp, err := s.hub.Evidence().Checkpoint(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(cp.Note))
}

// evidenceKey serves the verifier key checkpoints are signed with.
func (s *Server) evidenceKey(w http.ResponseWriter, _ *http.Request, _ *policy.Caller) {
	if s.notary == nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "this hub has no checkpoint signing key")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, s.notary.VerifierKey())
}

func (s *Server) evidenceEntries(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "from", "to")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	from, err := int64Param(q.Get("from"), "from", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := int64Param(q.Get("to"), "to", from+100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	entries, err := s.hub.EvidenceEntries(r.Context(), c, from, to)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

// evidenceBundle serves the evidence bundle of one record (?record=ID), as
// `fusion evidence export` writes it, to the record's owner
// (hub.EvidenceBundle decides).
func (s *Server) evidenceBundle(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "record")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := q.Get("record")
	if id == "" {
		s.fail(w, r, &intel.FieldError{Field: "record", Reason: "is required"})
		return
	}
	b, err := s.hub.EvidenceBundle(r.Context(), c, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

type proofAnswer struct {
	Index  int64    `json:"index,omitempty"`
	Old    int64    `json:"old,omitempty"`
	Size   int64    `json:"size"`
	Root   string   `json:"root"`
	Hashes []string `json:"hashes"`
	// TLogProof is the inclusion proof in C2SP tlog-proof form, against the
	// latest signed checkpoint when it is of this size.
	TLogProof string `json:"tlog_proof,omitempty"`
}

func hashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// evidenceInclusion proves that entry index is in the tree of size. Only
// callers who may see the entry get a proof: it would confirm its content.
func (s *Server) evidenceInclusion(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	q, err := query(r, "index", "size")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	index, err := int64Param(q.Get("index"), "index", -1)
	if err == nil && index < 0 {
		err = &intel.FieldError{Field: "index", Reason: "is required"}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := s.sizeParam(r, q.Get("size"), "size")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.hub.EvidenceEntryVisible(r.Context(), c, index); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	proof, err := s.hub.Evidence().InclusionProof(ctx, index, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	root, err := s.hub.Evidence().Root(ctx, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ans := proofAnswer{Index: index, Size: size, Root: base64.StdEncoding.EncodeToString(root[:]), Hashes: hashes(proof)}
	if s.notary != nil {
		if cp, err := s.hub.Evidence().LatestCheckpoint(ctx, s.notary.Verifier()); err == nil && cp.Size == size {
			ans.TLogProof = evidence.FormatProof(index, proof, cp.Note)
		}
	}
	writeJSON(w, http.StatusOK, ans)
}

// evidenceConsistency proves that the tree of size old is a prefix of the
// tree of size new. It says nothing about any entry's content.
func (s *Server) evidenceConsistency(w http.ResponseWriter, r *http.Request, _ *policy.Caller) {
	q, err := query(r, "old", "new")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	old, err := int64Param(q.Get("old"), "old", -1)
	if err == nil && old < 0 {
		err = &intel.FieldError{Field: "old", Reason: "is required"}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := s.sizeParam(r, q.Get("new"), "new")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	proof, err := s.hub.Evidence().ConsistencyProof(r.Context(), old, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	root, err := s.hub.Evidence().Root(r.Context(), size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proofAnswer{Old: old, Size: size, Root: base64.StdEncoding.EncodeToString(root[:]), Hashes: hashes(proof)})
}

// sizeParam reads a tree size, defaulting to the whole log.
func (s *Server) sizeParam(r *http.Request, v, name string) (int64, error) {
	if v == "" {
		return s.hub.Evidence().Size(r.Context())
	}
	return int64Param(v, name, 0)
}

func int64Param(v, name string, def int64) (int64, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &intel.FieldError{Field: name, Value: v, Reason: "not a whole number of 0 or more"}
	}
	return n, nil
}

// MaxWitnessBody bounds an add-checkpoint request: 63 proof lines and a
// checkpoint with a few signatures.
const MaxWitnessBody = 16 << 10

// witnessAddCheckpoint serves C2SP tlog-witness add-checkpoint: this hub
// co-signs a checkpoint of a log it was configured to witness after
// checking it against the last one it co-signed. Answers are plain text
// with the protocol's status codes, not the API's JSON errors.
func (s *Server) witnessAddCheckpoint(w http.ResponseWriter, r *http.Request, _ *policy.Caller) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.witness == nil {
		http.Error(w, "this hub witnesses no logs", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, fmt.Sprintf("request body is larger than %d bytes", mbe.Limit), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the request body", http.StatusBadRequest)
		return
	}
	sigs, err := s.witness.AddCheckpoint(r.Context(), body)
	var ce *evidence.ConflictError
	switch {
	case err == nil:
		w.Write(sigs)
	case errors.As(err, &ce):
		w.Header().Set("Content-Type", "text/x.tlog.size")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, "%d\n", ce.Size)
	case errors.Is(err, evidence.ErrUnknownLog):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, evidence.ErrWitnessForged):
		http.Error(w, err.Error(), http.StatusForbidden)
	case errors.Is(err, evidence.ErrWitnessRequest):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, evidence.ErrWitnessProof):
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
	case errors.Is(err, evidence.ErrInconsistent):
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	default:
		s.log.Error("witness add-checkpoint failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// witnessKey serves the cosignature/v1 verifier key this hub co-signs with.
func (s *Server) witnessKey(w http.ResponseWriter, _ *http.Request, _ *policy.Caller) {
	if s.witness == nil {
		writeError(w, http.StatusNotFound, "not_found", "this hub witnesses no logs")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, s.witness.VerifierKey())
}
