package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/store"
)

// KeepAnswersFor is how long the answer to a request sent with an
// Idempotency-Key is kept for a retry.
const KeepAnswersFor = 24 * time.Hour

// Keep asks the hub to keep the answer to a request sent with an
// Idempotency-Key, in the same transaction as what it answers, so that a
// retry after a lost answer gets that answer and changes nothing.
type Keep[T any] struct {
	Key, Route string
	Hash       []byte // of what identifies the request: its route and body
	// Render turns the outcome into the answer to keep; it is called in
	// the transaction, once the work is done.
	Render func(T) (status int, body []byte, err error)
}

// ErrAnswerKept means another request with the same Idempotency-Key got
// its answer kept first: read it with KeptAnswer.
var ErrAnswerKept = errors.New("hub: an answer to this idempotency key is kept already")

// KeptAnswer returns the answer kept for c's organization's request with
// key, if there is one younger than KeepAnswersFor.
func (h *Hub) KeptAnswer(ctx context.Context, c *policy.Caller, key string) (store.IdempotentAnswer, bool, error) {
	a, ok, err := h.store.Answer(ctx, c.Org, key)
	if err != nil || !ok || a.Created.Before(h.now().Add(-KeepAnswersFor)) {
		return store.IdempotentAnswer{}, false, err
	}
	return a, true, nil
}

// keepAnswer stores k's answer to v in tx; nil k keeps nothing.
func keepAnswer[T any](h *Hub, tx *store.Tx, c *policy.Caller, k *Keep[T], v T) error {
	if k == nil {
		return nil
	}
	status, body, err := k.Render(v)
	if err != nil {
		return err
	}
	now := h.now()
	err = tx.KeepAnswer(c.Org, k.Key, store.IdempotentAnswer{Route: k.Route, RequestHash: k.Hash, Status: status, Answer: body, Created: now}, now.Add(-KeepAnswersFor))
	if errors.Is(err, store.ErrConflict) {
		return ErrAnswerKept
	}
	return err
}

// CheckIdempotencyKey refuses a key that is not 1 to 255 printable ASCII
// characters.
func CheckIdempotencyKey(key string) error {
	if len(key) == 0 || len(key) > 255 {
		return &intel.FieldError{Field: "Idempotency-Key", Value: key, Reason: "must be 1 to 255 printable ASCII characters"}
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return &intel.FieldError{Field: "Idempotency-Key", Value: key, Reason: fmt.Sprintf("must be printable ASCII; byte %d is %#02x", i, key[i])}
		}
	}
	return nil
}
