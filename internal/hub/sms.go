package hub

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"fusion/internal/evidence"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/sms"
	"fusion/internal/store"
)

// The SMS-pumping guard, inline. Each organization whose backend asks
// before sending one-time codes (POST /api/v1/sms/check) has its own
// sms.Guard, made on its first request and kept in memory for the hub's
// life: an app's name is the organization's own, and one organization
// never sees another's apps, decisions or blocks.
//
// Memory: a Guard is bounded per app (sms.Config.MaxPrefixes 1,000-number
// blocks of ~1.2 KB and MaxIPs client addresses of up to 200 B: at most
// about 130 MB for an app at the default bounds), at most MaxApps (1,024)
// apps with their own state, and an analysis cache of at most 2^20 blocks
// (~100 MB); see package sms. The state is kept in the store: SaveSMS
// writes each guard's snapshot (sms.Guard.Save; the daemon does every
// minute and when it stops), and a guard not in memory is rebuilt from its
// organization's snapshot when first needed, so that a restarted hub keeps
// what it learnt and the blocks in force (a crash loses at most the last
// minute). Releases are logged in the evidence log (sms.release), which is
// their lasting record.
//
// The guard is safe for concurrent use (one lock, a microsecond or two a
// decision), so checks of one organization take turns there and nowhere
// else.

// smsGuards holds the organizations' guards, made on first use.
type smsGuards struct {
	mu   sync.Mutex
	orgs map[string]*sms.Guard
	// saved is the version of each guard's state last saved (SaveSMS).
	saved map[string]uint64
}

// smsGuard returns org's guard: the one in memory, or one rebuilt from
// the organization's saved state, or when create is set a new one
// (newSMSGuard).
func (h *Hub) smsGuard(ctx context.Context, org string, create bool) (*sms.Guard, error) {
	h.sms.mu.Lock()
	g := h.sms.orgs[org]
	h.sms.mu.Unlock()
	if g != nil {
		return g, nil
	}
	return h.newSMSGuard(ctx, org, create)
}

// SMSCheck decides, before c's organization's backend sends a one-time
// code, whether to send it (allow), ask for a challenge first, or refuse
// (block), and records the request in the organization's guard. It needs
// policy.SubmitEvents: a sensor token on the sender's backend.
func (h *Hub) SMSCheck(ctx context.Context, c *policy.Caller, req *sms.Request) (sms.Decision, error) {
	if err := policy.Require(c, policy.SubmitEvents); err != nil {
		return sms.Decision{}, err
	}
	g, err := h.smsGuard(ctx, c.Org, true)
	if err != nil {
		return sms.Decision{}, err
	}
	d := g.Check(req)
	h.smsSeriesOf(c.Org).Check(req.App, req.Number, req.Time, h.now(), d)
	return d, nil
}

// SMSVerified feeds back that a code c's organization sent was entered
// (conversion). It needs policy.SubmitEvents.
func (h *Hub) SMSVerified(ctx context.Context, c *policy.Caller, v *sms.Verified) error {
	if err := policy.Require(c, policy.SubmitEvents); err != nil {
		return err
	}
	g, err := h.smsGuard(ctx, c.Org, true)
	if err != nil {
		return err
	}
	if num, ok := g.Verified(v); ok {
		h.smsSeriesOf(c.Org).Verified(v.App, v.Number, v.Time, h.now(), num)
	}
	return nil
}

// smsSeriesOf returns org's SMS traffic series, made on first use.
func (h *Hub) smsSeriesOf(org string) *sms.Series {
	h.smsSeries.mu.Lock()
	defer h.smsSeries.mu.Unlock()
	s := h.smsSeries.orgs[org]
	if s == nil {
		if h.smsSeries.orgs == nil {
			h.smsSeries.orgs = map[string]*sms.Series{}
		}
		s = sms.NewSeries()
		h.smsSeries.orgs[org] = s
	}
	return s
}

// SMSStats is the size of c's organization's guard state (see
// sms.Stats): zero before its first check. It needs policy.ReadVerdicts.
func (h *Hub) SMSStats(ctx context.Context, c *policy.Caller) (sms.Stats, error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return sms.Stats{}, err
	}
	g, err := h.smsGuard(ctx, c.Org, false)
	if err != nil || g == nil {
		return sms.Stats{}, err
	}
	return g.Stats(), nil
}

// SMSBlock is a destination prefix an app of the caller's organization
// blocks now, with why: the rule and reasons of the episode that placed
// it, as its finding states them.
type SMSBlock struct {
	App    string    `json:"app"`
	Prefix string    `json:"prefix"`
	Until  time.Time `json:"until"`
	// Rule, Reasons, Country, Carrier and Explanation come from the
	// block's finding; they are empty for a 1,000-number block that a
	// block of its 10,000 covers (the wider block's finding names it).
	Rule        string   `json:"rule,omitempty"`
	Reasons     []string `json:"reasons"`
	Country     string   `json:"country,omitempty"`
	Carrier     string   `json:"carrier,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
}

// SMSBlocks lists the blocks in force at now in c's own organization's
// guard, sorted by app and prefix. It needs policy.ReadVerdicts: blocks
// are verdicts on what the organization's apps were asked to send.
func (h *Hub) SMSBlocks(ctx context.Context, c *policy.Caller) ([]SMSBlock, error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return nil, err
	}
	out := []SMSBlock{}
	g, err := h.smsGuard(ctx, c.Org, false)
	if err != nil || g == nil {
		return out, err
	}
	return smsBlocks(g, h.now()), nil
}

// smsBlocks lists g's blocks in force at now with their findings' reasons.
// A block's episode is open while it is in force and Findings includes
// the open ones, so every app with a block in force names itself in a
// finding, and the latest finding of an app and prefix is its block's.
func smsBlocks(g *sms.Guard, now time.Time) []SMSBlock {
	type key struct{ app, prefix string }
	why := map[key]int{}
	apps := map[string]bool{}
	fs := g.Findings()
	for i, f := range fs {
		why[key{f.Detail["app"], f.Entity}] = i // oldest first: the last wins
		apps[f.Detail["app"]] = true
	}
	out := []SMSBlock{}
	for app := range apps {
		for p, until := range g.Blocked(app, now) {
			b := SMSBlock{App: app, Prefix: p, Until: until, Reasons: []string{}}
			if i, ok := why[key{app, p}]; ok {
				f := fs[i]
				b.Rule, b.Country, b.Carrier, b.Explanation = f.Detail["rule"], f.Detail["country"], f.Detail["carrier"], f.Explanation
				if r := f.Detail["reasons"]; r != "" {
					b.Reasons = strings.Split(r, ",")
				}
			}
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].App != out[j].App {
			return out[i].App < out[j].App
		}
		return out[i].Prefix < out[j].Prefix
	})
	return out
}

// SMSRelease lifts the block on prefix of c's organization's app now (an
// operator's decision, such as a legitimate surge the guard took for
// pumping). It needs policy.ChangeIntel and policy.ReadVerdicts: an
// analyst or admin, not a sensor, reader or partner hub. The guard's
// state is in memory only, so the release is logged in the evidence log
// (sms.release, naming the block by app and prefix: the guard's state is
// not a stored object, so the leaf names it without a digest) before it
// takes effect; a block that is not in force is
// intel.ErrNotFound and logs nothing. The answer is the block as it was.
func (h *Hub) SMSRelease(ctx context.Context, c *policy.Caller, app, prefix string) (SMSBlock, error) {
	// ChangeIntel alone would let a partner hub's token in; releasing a
	// block one may not list makes no sense, so ReadVerdicts too.
	for _, a := range []policy.Action{policy.ChangeIntel, policy.ReadVerdicts} {
		if err := policy.Require(c, a); err != nil {
			return SMSBlock{}, err
		}
	}
	if err := checkSMSApp(app); err != nil {
		return SMSBlock{}, err
	}
	if !smsPrefix(prefix) {
		return SMSBlock{}, &intel.FieldError{Field: "prefix", Value: prefix, Reason: "not an E.164 prefix (+ and 1 to 15 digits, the first not 0)"}
	}
	notFound := fmt.Errorf("%w: app %q blocks no prefix %s", intel.ErrNotFound, app, prefix)
	g, err := h.smsGuard(ctx, c.Org, false)
	if err != nil {
		return SMSBlock{}, err
	}
	if g == nil {
		return SMSBlock{}, notFound
	}
	now := h.now()
	var block *SMSBlock
	for _, b := range smsBlocks(g, now) {
		if b.App == app && b.Prefix == prefix {
			block = &b
			break
		}
	}
	if block == nil {
		return SMSBlock{}, notFound
	}
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		return h.ev.Append(tx, actorOf(c).leaf(evidence.SMSRelease,
			evidence.Object{Kind: evidence.KindSMSBlock, ID: app + " " + prefix, Owner: c.Org}))
	})
	if err != nil {
		return SMSBlock{}, err
	}
	// A block that ended between the listing and here is released all the
	// same: the log says what the analyst decided.
	g.Release(app, prefix)
	return *block, nil
}

// smsPrefix reports whether p is an E.164 prefix: "+" and 1 to 15 digits,
// the first not 0.
func smsPrefix(p string) bool {
	if len(p) < 2 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// SaveSMS saves the state of every SMS-pumping guard in memory that
// changed since it was last saved to the store, each in its own
// transaction, and reports how many and their bytes. The daemon calls it
// every minute and when it stops.
func (h *Hub) SaveSMS(ctx context.Context) (guards, bytes int, err error) {
	h.sms.mu.Lock()
	orgs := make(map[string]*sms.Guard, len(h.sms.orgs))
	since := make(map[string]uint64, len(h.sms.orgs))
	for org, g := range h.sms.orgs {
		orgs[org], since[org] = g, h.sms.saved[org]
	}
	h.sms.mu.Unlock()
	for org, g := range orgs {
		data, version := g.SaveChanged(since[org])
		if data == nil {
			continue
		}
		if err := h.store.Update(ctx, func(tx *store.Tx) error { return tx.PutSMSState(org, h.now(), data) }); err != nil {
			return guards, bytes, fmt.Errorf("save the sms guard of %s: %w", org, err)
		}
		h.sms.mu.Lock()
		if h.sms.saved == nil {
			h.sms.saved = map[string]uint64{}
		}
		h.sms.saved[org] = version
		h.sms.mu.Unlock()
		guards++
		bytes += len(data)
	}
	return guards, bytes, nil
}

// SMSAppConfig is an app's settings in its organization's guard.
type SMSAppConfig struct {
	App      string       `json:"app"`
	Settings sms.Settings `json:"settings"`
	// Updated is when they were last set; zero for an app nobody
	// configured (the defaults).
	Updated time.Time `json:"updated,omitzero"`
}

// SMSAppSettings returns the settings of c's organization's app: those
// set with SMSConfigure, or the defaults. It needs policy.ReadVerdicts.
func (h *Hub) SMSAppSettings(ctx context.Context, c *policy.Caller, app string) (SMSAppConfig, error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return SMSAppConfig{}, err
	}
	if err := checkSMSApp(app); err != nil {
		return SMSAppConfig{}, err
	}
	rows, err := h.store.SMSApps(ctx, c.Org)
	if err != nil {
		return SMSAppConfig{}, err
	}
	for _, r := range rows {
		if r.App == app {
			return smsAppOf(r)
		}
	}
	return SMSAppConfig{App: app, Settings: sms.DefaultSettings()}, nil
}

func smsAppOf(r store.SMSAppRow) (SMSAppConfig, error) {
	s, err := sms.ParseSettings([]byte(r.Settings))
	if err != nil {
		return SMSAppConfig{}, fmt.Errorf("stored settings of sms app %q: %w", r.App, err)
	}
	return SMSAppConfig{App: r.App, Settings: s, Updated: r.Updated}, nil
}

// SMSConfigure sets the settings of c's organization's app (mode,
// allowed countries, the verdict for shared prefixes, the safe list), in
// the store with an sms.configure leaf in the same transaction, then in
// the guard, where they take effect for the app's next request. An
// organization's admin decides them (policy.ChangeOrg). Settings equal to
// the stored ones change and log nothing.
func (h *Hub) SMSConfigure(ctx context.Context, c *policy.Caller, app string, s sms.Settings) (SMSAppConfig, error) {
	if err := policy.ChangeOrg(c, c.Org); err != nil {
		return SMSAppConfig{}, err
	}
	if err := checkSMSApp(app); err != nil {
		return SMSAppConfig{}, err
	}
	cfg, err := s.Config()
	if err != nil {
		return SMSAppConfig{}, err
	}
	row := store.SMSAppRow{Org: c.Org, App: app, Settings: string(s.JSON()), Updated: h.now()}
	id := evidence.SMSAppID(c.Org, app)
	err = h.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvidence(); err != nil {
			return err
		}
		cur, ok, err := tx.SMSAppRow(c.Org, app)
		if err != nil || ok && cur.Settings == row.Settings {
			row = cur
			return err
		}
		var before []byte
		if ok {
			before = evidence.SMSAppContent(cur)
		}
		if err := tx.PutSMSApp(row); err != nil {
			return err
		}
		return h.logged(tx, actorOf(c), evidence.SMSConfigure, evidence.KindSMSApp, id, c.Org, before, func() ([]byte, error) {
			r, _, err := tx.SMSAppRow(c.Org, app)
			return evidence.SMSAppContent(r), err
		})
	})
	if err != nil {
		return SMSAppConfig{}, err
	}
	h.sms.mu.Lock()
	g := h.sms.orgs[c.Org]
	h.sms.mu.Unlock()
	if g != nil {
		if err := g.Configure(app, cfg); err != nil {
			return SMSAppConfig{}, err
		}
	}
	return smsAppOf(row)
}

// checkSMSApp checks an app's name as sms.ParseRequest does
// (sms.CheckApp), its error a field error of the hub's.
func checkSMSApp(app string) error {
	var fe *sms.FieldError
	if err := sms.CheckApp(app); errors.As(err, &fe) {
		return &intel.FieldError{Field: fe.Field, Value: fe.Value, Reason: fe.Reason}
	}
	return nil
}

// smsConfig is the guard configuration of org: the defaults, with its
// apps' stored settings.
func (h *Hub) smsConfig(ctx context.Context, org string) (sms.Config, error) {
	cfg := sms.DefaultConfig()
	rows, err := h.store.SMSApps(ctx, org)
	if err != nil {
		return cfg, err
	}
	cfg.Apps = map[string]sms.AppConfig{}
	for _, r := range rows {
		a, err := smsAppOf(r)
		if err != nil {
			return cfg, err
		}
		if cfg.Apps[r.App], err = a.Settings.Config(); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}
