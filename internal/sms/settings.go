package sms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Settings is an app's AppConfig as the API and the store carry it: JSON
// with the mode, the allowed destination countries, the verdict for
// shared prefixes and the safe list.
//
//	{"mode":"block","allowed":["GB","IE"],"shared":"block",
//	 "safe_numbers":["+447700900123"],"safe_prefixes":["+4420"]}
type Settings struct {
	Mode         string   `json:"mode"`
	Allowed      []string `json:"allowed"`
	Shared       string   `json:"shared"`
	SafeNumbers  []string `json:"safe_numbers"`
	SafePrefixes []string `json:"safe_prefixes"`
}

// Bounds of Settings: a country list no longer than the world's, safe
// lists of a size an operator keeps by hand.
const (
	MaxAllowed   = 300
	MaxSafeItems = 1000
)

// DefaultSettings are the settings of an app nobody configured.
func DefaultSettings() Settings { return SettingsOf(DefaultConfig().Default) }

// SettingsOf returns c as Settings, lists sorted.
func SettingsOf(c AppConfig) Settings {
	s := Settings{Mode: c.Mode.String(), Shared: c.Shared.String(),
		Allowed: sortedCopy(c.Allowed), SafeNumbers: sortedCopy(c.SafeNumbers), SafePrefixes: sortedCopy(c.SafePrefixes)}
	return s
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return slices.Compact(out)
}

// ParseSettings reads an app's settings: a JSON object with the fields of
// Settings, each optional (an absent one takes its default: block, every
// country, block, empty lists), no other field. Errors name the field,
// the value and the reason.
func ParseSettings(data []byte) (Settings, error) {
	var raw struct {
		Mode         *string  `json:"mode"`
		Allowed      []string `json:"allowed"`
		Shared       *string  `json:"shared"`
		SafeNumbers  []string `json:"safe_numbers"`
		SafePrefixes []string `json:"safe_prefixes"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Settings{}, fmt.Errorf("settings: %w", err)
	}
	if dec.More() {
		return Settings{}, fmt.Errorf("settings: more than one JSON value")
	}
	// The bounds apply to what was sent, repeats counted.
	if len(raw.Allowed) > MaxAllowed {
		return Settings{}, &FieldError{Field: "allowed", Value: fmt.Sprint(len(raw.Allowed)), Reason: fmt.Sprintf("more than %d countries", MaxAllowed)}
	}
	if n := len(raw.SafeNumbers) + len(raw.SafePrefixes); n > MaxSafeItems {
		return Settings{}, &FieldError{Field: "safe_numbers", Value: fmt.Sprint(n), Reason: fmt.Sprintf("the safe list holds more than %d numbers and prefixes", MaxSafeItems)}
	}
	s := DefaultSettings()
	if raw.Mode != nil {
		s.Mode = *raw.Mode
	}
	if raw.Shared != nil {
		s.Shared = *raw.Shared
	}
	s.Allowed, s.SafeNumbers, s.SafePrefixes = sortedCopy(raw.Allowed), sortedCopy(raw.SafeNumbers), sortedCopy(raw.SafePrefixes)
	if _, err := s.Config(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Config checks the settings and returns them as an AppConfig.
func (s Settings) Config() (AppConfig, error) {
	var c AppConfig
	m, err := ParseMode(s.Mode)
	if err != nil {
		return c, &FieldError{Field: "mode", Value: fmt.Sprintf("%q", s.Mode), Reason: "not block, challenge or record-only"}
	}
	v, err := ParseVerdict(s.Shared)
	if err != nil {
		return c, &FieldError{Field: "shared", Value: fmt.Sprintf("%q", s.Shared), Reason: "not allow, challenge or block"}
	}
	if len(s.Allowed) > MaxAllowed {
		return c, &FieldError{Field: "allowed", Value: fmt.Sprint(len(s.Allowed)), Reason: fmt.Sprintf("more than %d countries", MaxAllowed)}
	}
	for _, r := range s.Allowed {
		if !isRegion(r) {
			return c, &FieldError{Field: "allowed", Value: fmt.Sprintf("%q", r), Reason: "not an ISO 3166-1 alpha-2 code in capitals"}
		}
	}
	if n := len(s.SafeNumbers) + len(s.SafePrefixes); n > MaxSafeItems {
		return c, &FieldError{Field: "safe_numbers", Value: fmt.Sprint(n), Reason: fmt.Sprintf("the safe list holds more than %d numbers and prefixes", MaxSafeItems)}
	}
	for _, n := range s.SafeNumbers {
		if !isE164(n) {
			return c, &FieldError{Field: "safe_numbers", Value: fmt.Sprintf("%q", n), Reason: "not an E.164 number (+ and 8 to 15 digits)"}
		}
	}
	for _, p := range s.SafePrefixes {
		if checkPrefix(p) != nil {
			return c, &FieldError{Field: "safe_prefixes", Value: fmt.Sprintf("%q", p), Reason: "not an E.164 prefix (+ and 1 to 15 digits, the first not 0)"}
		}
	}
	c = AppConfig{Mode: m, Shared: v, Allowed: s.Allowed, SafeNumbers: s.SafeNumbers, SafePrefixes: s.SafePrefixes}
	return c, c.check()
}

// JSON is the settings as canonical JSON: fields in a fixed order, lists
// sorted, empty lists as [].
func (s Settings) JSON() []byte {
	for _, l := range []*[]string{&s.Allowed, &s.SafeNumbers, &s.SafePrefixes} {
		if *l == nil {
			*l = []string{}
		}
	}
	b, _ := json.Marshal(s) // strings and string lists only: cannot fail
	return b
}

// String is the settings in words, for logs.
func (s Settings) String() string {
	countries := "every country"
	if len(s.Allowed) > 0 {
		countries = strings.Join(s.Allowed, " ")
	}
	return fmt.Sprintf("mode %s, to %s, shared prefixes %s, %d safe numbers, %d safe prefixes",
		s.Mode, countries, s.Shared, len(s.SafeNumbers), len(s.SafePrefixes))
}

// Configure sets an app's settings, now and for its later requests. The
// app's learnt state is kept.
func (g *Guard) Configure(app string, c AppConfig) error {
	if err := c.check(); err != nil {
		return fmt.Errorf("app %q: %w", app, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	apps := make(map[string]AppConfig, len(g.cfg.Apps)+1)
	for k, v := range g.cfg.Apps {
		apps[k] = v
	}
	apps[app] = c
	g.cfg.Apps = apps
	if a := g.apps[app]; a != nil {
		a.configure(c)
	}
	return nil
}
