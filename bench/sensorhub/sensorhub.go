// Package sensorhub opens the hub that the HTTP benchmarks under bench/
// (smsbench, screenbench) serve: a real hub on SQLite in a directory, with
// one member organization and a sensor token of it, as a partner's
// backend would hold.
package sensorhub

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"

	"fusion/internal/evidence"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/observable"
	"fusion/internal/policy"
)

// Sensor is a hub with one organization's sensor token.
type Sensor struct {
	Hub    *hub.Hub
	Secret string         // the bearer token
	Caller *policy.Caller // the token's caller
}

// Org describes the organization Open creates.
type Org struct {
	ID, Name, Country, Sector string
	Token                     string // the sensor token's name
}

// Open opens a hub on SQLite in dir, its evidence log signed under a
// fresh key for the log name logName, creates org and issues it a sensor
// token. The hub logs nothing.
func Open(ctx context.Context, dir, logName string, org Org) (*Sensor, error) {
	skey, _, err := evidence.GenerateKey(logName)
	if err != nil {
		return nil, err
	}
	notary, err := evidence.NewNotary(skey)
	if err != nil {
		return nil, err
	}
	canon, err := observable.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		return nil, err
	}
	h, err := hub.Open(ctx, hub.Config{DSN: filepath.Join(dir, "fusion.db"), Canon: canon, Notary: notary,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	s := &Sensor{Hub: h}
	if _, err := h.OperatorCreateOrg(ctx, org.ID, org.Name, org.Country, org.Sector, false); err != nil {
		h.Close()
		return nil, err
	}
	if s.Secret, _, err = h.OperatorIssueToken(ctx, org.ID, intel.RoleSensor, org.Token); err != nil {
		h.Close()
		return nil, err
	}
	if s.Caller, err = h.Authenticate(ctx, s.Secret); err != nil {
		h.Close()
		return nil, err
	}
	return s, nil
}
