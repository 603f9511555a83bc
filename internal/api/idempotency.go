package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"net/http"

	"fusion/internal/hub"
	"fusion/internal/policy"
)

// Requests that change something (POST /api/v1/records, POST
// /api/v1/events) may carry an Idempotency-Key header: the hub keeps the
// answer, in the transaction that did the work, for hub.KeepAnswersFor;
// a retry with the same key and the same body gets that answer, marked
// with "Idempotent-Replayed: true", and changes nothing. The same key with
// another body is refused (422).

// idempotent is a request's Idempotency-Key, if it has one.
type idempotent struct {
	key, route string
	hash       []byte
	answer     []byte // what was rendered for this request, once it was
}

// idempotency reads r's Idempotency-Key. When an answer is kept for it,
// it writes that answer (or the refusal of a reuse) and returns nil, true.
// Without a key it returns nil, false.
func (s *Server) idempotency(w http.ResponseWriter, r *http.Request, c *policy.Caller, route string, body []byte) (*idempotent, bool) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, false
	}
	if err := hub.CheckIdempotencyKey(key); err != nil {
		s.fail(w, r, err)
		return nil, true
	}
	h := sha256.New()
	h.Write([]byte(route))
	h.Write([]byte{0})
	h.Write(body)
	id := &idempotent{key: key, route: route, hash: h.Sum(nil)}
	if s.replay(w, r, c, id) {
		return nil, true
	}
	return id, false
}

// replay writes the answer kept for id, if there is one.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, c *policy.Caller, id *idempotent) bool {
	a, ok, err := s.hub.KeptAnswer(r.Context(), c, id.key)
	if err != nil {
		s.fail(w, r, err)
		return true
	}
	if !ok {
		return false
	}
	if a.Route != id.route || !bytes.Equal(a.RequestHash, id.hash) {
		writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused",
			"Idempotency-Key "+id.key+" was used for another request within the last day; use a new key for a new request")
		return true
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeRaw(w, a.Status, a.Answer)
	return true
}

// keep returns what the hub needs to keep the answer, rendered by answer,
// or nil without a key.
func keep[T any](id *idempotent, answer func(T) any) *hub.Keep[T] {
	if id == nil {
		return nil
	}
	return &hub.Keep[T]{Key: id.key, Route: id.route, Hash: id.hash, Render: func(v T) (int, []byte, error) {
		var b bytes.Buffer
		if err := json.NewEncoder(&b).Encode(answer(v)); err != nil {
			return 0, nil, err
		}
		id.answer = b.Bytes()
		return http.StatusOK, id.answer, nil
	}}
}

// answered writes the answer to a request: the bytes kept for it when it
// had a key (so that its retries get exactly these), else v.
func (s *Server) answered(w http.ResponseWriter, r *http.Request, c *policy.Caller, id *idempotent, err error, v any) {
	switch {
	case id != nil && err == hub.ErrAnswerKept:
		if !s.replay(w, r, c, id) {
			s.fail(w, r, err)
		}
	case err != nil:
		s.fail(w, r, err)
	case id != nil:
		writeRaw(w, http.StatusOK, id.answer)
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
