package hub

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/sms"
)

// The SMS guard's traffic, per app: what the UI's SMS pages and GET
// /api/v1/sms/apps show. SMSCheck and SMSVerified count every decision
// and every code entered in the organization's sms.Series (per app and
// hour for two days, per country and per busiest 1,000-number block; at
// most about 23 MB an organization at its bounds, a few MB in practice:
// see sms.Series). Like the guard's state it lives in memory for the
// hub's life and is not persisted.

// smsSeriesSet holds the organizations' series, made on first use.
type smsSeriesSet struct {
	mu   sync.Mutex
	orgs map[string]*sms.Series
}

// SMSApp is an app of the caller's organization: its traffic over the
// last sms.SeriesHours hours and the blocks it has in force.
type SMSApp struct {
	sms.AppSeries
	Blocks []SMSBlock `json:"blocks"`
}

// SMSApps lists c's own organization's apps that the guard counted in the
// last two days or that have a block in force, by name, with their
// hourly traffic (not per country or prefix: SMSApp gives those) and
// blocks. It needs policy.ReadVerdicts, as SMSBlocks does.
func (h *Hub) SMSApps(ctx context.Context, c *policy.Caller) ([]SMSApp, error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return nil, err
	}
	now := h.now()
	out := []SMSApp{}
	for _, a := range h.smsSeriesOf(c.Org).Apps(now) {
		out = append(out, SMSApp{AppSeries: a, Blocks: []SMSBlock{}})
	}
	g, err := h.smsGuard(ctx, c.Org, false)
	if err != nil || g == nil {
		return out, err
	}
	for _, b := range smsBlocks(g, now) {
		i, found := slices.BinarySearchFunc(out, b.App, func(a SMSApp, app string) int { return strings.Compare(a.App, app) })
		if !found {
			out = slices.Insert(out, i, SMSApp{AppSeries: emptySeries(b.App, now), Blocks: []SMSBlock{}})
		}
		out[i].Blocks = append(out[i].Blocks, b)
	}
	return out, nil
}

// SMSApp returns app of c's own organization with its traffic per hour,
// country and prefix, and its blocks in force. An app the guard did not
// count in the last two days and that blocks nothing is
// intel.ErrNotFound; so is every app of another organization, which c
// cannot name: names are looked up in c's own organization only. It
// needs policy.ReadVerdicts.
func (h *Hub) SMSApp(ctx context.Context, c *policy.Caller, app string) (SMSApp, error) {
	if err := policy.Require(c, policy.ReadVerdicts); err != nil {
		return SMSApp{}, err
	}
	if err := checkSMSApp(app); err != nil {
		return SMSApp{}, err
	}
	now := h.now()
	series, counted := h.smsSeriesOf(c.Org).App(app, now)
	out := SMSApp{AppSeries: series, Blocks: []SMSBlock{}}
	if !counted {
		out.AppSeries = emptySeries(app, now)
	}
	g, err := h.smsGuard(ctx, c.Org, false)
	if err != nil {
		return SMSApp{}, err
	}
	if g != nil {
		for _, b := range smsBlocks(g, now) {
			if b.App == app {
				out.Blocks = append(out.Blocks, b)
			}
		}
	}
	if !counted && len(out.Blocks) == 0 {
		return SMSApp{}, fmt.Errorf("%w: no SMS app %q", intel.ErrNotFound, app)
	}
	return out, nil
}

// emptySeries is the series of an app with nothing counted, ending at
// now's hour.
func emptySeries(app string, now time.Time) sms.AppSeries {
	return sms.AppSeries{App: app, Start: now.UTC().Truncate(time.Hour).Add(-(sms.SeriesHours - 1) * time.Hour),
		Hours: make([]sms.Tally, sms.SeriesHours), Countries: []sms.SeriesLine{}, Prefixes: []sms.SeriesLine{}}
}
