package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"fusion/internal/screen"
)

// sharedPackage is a rule package as the hub serves it (GET
// /api/v1/rule-packages/{id}, hub.SharedPackage): the package under
// "package", with its version's sharing terms around it.
type sharedPackage struct {
	ID            string          `json:"id"`
	Version       int             `json:"version"`
	Originator    string          `json:"originator"`
	TLP           string          `json:"tlp"`
	Audience      json.RawMessage `json:"audience"`
	Handling      json.RawMessage `json:"handling"`
	Created       time.Time       `json:"created"`
	Revoked       *time.Time      `json:"revoked"`
	RevokedReason string          `json:"revoked_reason"`
	Package       json.RawMessage `json:"package"`
}

// readRulePackage reads a rule package file for --rules: a bare package
// (screen.ParsePackage), or the hub's answer to GET
// /api/v1/rule-packages/{id}, whose package is under "package". Both are
// read strictly; a revoked package is refused, as the hub refuses to
// screen with one.
func readRulePackage(data []byte) (*screen.Package, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("rule package: %w", err)
	}
	if _, shared := probe["package"]; !shared {
		return screen.ParsePackage(data)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s sharedPackage
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("shared rule package: %w", err)
	}
	if dec.More() {
		return nil, errors.New("shared rule package: text after the object")
	}
	if s.Revoked != nil {
		return nil, fmt.Errorf("shared rule package %s version %d was revoked by %s (%s)", s.ID, s.Version, s.Originator, s.RevokedReason)
	}
	p, err := screen.ParsePackage(s.Package)
	if err != nil {
		return nil, err
	}
	if p.ID != s.ID || p.Version != s.Version {
		return nil, fmt.Errorf("shared rule package: package %s version %d inside the answer for %s version %d", p.ID, p.Version, s.ID, s.Version)
	}
	return p, nil
}
