// Package ui is the hub's web UI: server-rendered pages in English and
// Japanese for the analysts who will not use curl.
//
// # Shape
//
// Pages are html/template files embedded with //go:embed (templates/), one
// per page, each joined at start-up with the shared layout (header with the
// user and organization slot, navigation, language switch, footer); the
// handler of a page is one file (login.go, about.go, notfound.go). Every
// page is executed with a *Page, whose methods are the helpers templates
// call: T (translation), Time, TLP, HCode, Value.
//
// # Security
//
// Every response carries ContentSecurityPolicy (no inline script or style,
// no framing), nosniff and no-referrer. Every request passes net/http's
// CrossOriginProtection, which refuses cross-origin POSTs; forms of
// signed-in pages also carry a per-session token (CSRF). Record values are
// attacker-supplied and only ever reach a page through the helpers, which
// escape them, defang them and show hidden characters.
//
// # Assets
//
// One CSS file and one small script (the copy button) under static/, served
// at content-hashed URLs (AssetURL) with a year's cache.
package ui

import (
	"context"
	"fusion/internal/evidence"
	"fusion/internal/finding"
	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/match"
	"fusion/internal/policy"
	"fusion/internal/tor"
	"fusion/internal/zeek"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"
)

// Auth signs users in. The hub satisfies it; the UI holds no passwords.
//
// Login checks a login name and password. On success it returns either a
// session (Token, Expires) or, when the user has a second factor, NeedTOTP
// with Pending: a short-lived, single-use challenge that LoginTOTP
// completes with a TOTP code, so that the password is never sent twice.
// Both take the client's address for throttling and the audit trail. Any
// error is shown as one generic failure, so that the page does not tell
// which part was wrong; an error with a RetryAfter() time.Duration method
// is shown as "too many attempts".
type Auth interface {
	Login(ctx context.Context, login, password, remote string) (LoginResult, error)
	LoginTOTP(ctx context.Context, pending, code, remote string) (LoginResult, error)
}

// LoginResult is the outcome of a successful step of signing in.
type LoginResult struct {
	// Token is the session token for the SessionCookie; empty when NeedTOTP.
	Token   string
	Expires time.Time
	// NeedTOTP asks for the second step, with Pending as its challenge.
	NeedTOTP bool
	Pending  string
}

// SessionCookie holds the session token: HttpOnly, SameSite=Strict, Secure
// behind TLS.
const SessionCookie = "fusion_session"

// Options configure the UI.
type Options struct {
	// Auth signs users in; nil: the login page says sign-in is not
	// available on this hub yet.
	Auth Auth
	// Key keys the CSRF tokens (at least 32 bytes).
	Key []byte
	// SecureCookies marks cookies Secure even on plain HTTP requests (the
	// hub behind a TLS-terminating proxy). Requests over TLS always get
	// Secure cookies.
	SecureCookies bool
	// Hub is what the signed-in pages read through; nil: no page needs a
	// session (the login page then still signs in through Auth).
	Hub Hub
	// Evidence is the hub's evidence log; nil: the evidence page says the
	// hub keeps none, and the record page shows no chain of custody.
	Evidence EvidenceLog
	Log      *slog.Logger
}

// Hub is what the signed-in pages call: the hub's methods, each deciding
// by the policy gate what the caller may see (the UI reads nothing around
// them).
type Hub interface {
	SessionCaller(ctx context.Context, token string) (*policy.Caller, intel.User, error)
	Logout(ctx context.Context, token string) error
	ListRecords(ctx context.Context, c *policy.Caller, f hub.RecordFilter) (hub.Page[intel.Record], error)
	GetRecord(ctx context.Context, c *policy.Caller, id string) (intel.Record, error)
	RecordHistory(ctx context.Context, c *policy.Caller, id string) ([]intel.Record, error)

	// The submit and report pages (submit.go, reports.go, report.go,
	// report_new.go).
	CreateRecords(ctx context.Context, c *policy.Caller, ins []intel.RecordInput) ([]hub.Result[intel.Record], error)
	ListReports(ctx context.Context, c *policy.Caller, f hub.ReportFilter) (hub.Page[intel.Report], error)
	GetReport(ctx context.Context, c *policy.Caller, id string) (intel.Report, error)
	CreateReport(ctx context.Context, c *policy.Caller, in intel.ReportInput) (intel.Report, error)
	UpdateReport(ctx context.Context, c *policy.Caller, id string, p intel.ReportPatch) (intel.Report, error)
	// The dashboard's.
	Feedback(ctx context.Context, c *policy.Caller, limit int, cursor string) (hub.FeedbackSummary, error)
	AccessRequests(ctx context.Context, c *policy.Caller, received bool) ([]hub.AccessView, error)

	// Hit/no-hit, access requests, feedback and the Tor check (hits.go,
	// access.go, feedback.go, tor.go; AccessRequests and Feedback above).
	Hits(ctx context.Context, c *policy.Caller, values []string) ([]hub.HitAnswer, error)
	RequestAccess(ctx context.Context, c *policy.Caller, ref, purpose string) (hub.AccessView, error)
	DecideAccess(ctx context.Context, c *policy.Caller, id string, approve bool, reason string) (hub.AccessView, error)
	AddFeedback(ctx context.Context, c *policy.Caller, recordID, outcome, note string) (hub.FeedbackItem, error)
	TorCheck(ctx context.Context, c *policy.Caller, ip netip.Addr, t time.Time, window time.Duration) (tor.Answer, error)

	// The account page's (account.go): the reader's own second factor,
	// password and sessions.
	EnrolTOTP(ctx context.Context, c *policy.Caller) (secret, url string, err error)
	ConfirmTOTP(ctx context.Context, c *policy.Caller, code string) error
	ChangePassword(ctx context.Context, c *policy.Caller, current, next string) error
	RevokeSessions(ctx context.Context, c *policy.Caller, login string) error
	// The administration page's (admin.go): the users and API tokens of
	// the reader's own organization, admins only by the hub's policy.
	ListUsers(ctx context.Context, c *policy.Caller) ([]intel.User, error)
	CreateUser(ctx context.Context, c *policy.Caller, login, name string, role intel.Role, pw string) (intel.User, error)
	DisableUser(ctx context.Context, c *policy.Caller, login string, disabled bool) (intel.User, error)
	ListTokens(ctx context.Context, c *policy.Caller) ([]intel.Token, error)
	IssueToken(ctx context.Context, c *policy.Caller, role intel.Role, name string) (string, intel.Token, error)
	RevokeToken(ctx context.Context, c *policy.Caller, id string) error
	// The organizations and groups pages (orgs.go, groups.go, group.go):
	// the directory, the reader's own organization's settings, and the
	// groups it belongs to, changed by admins of a group's owner.
	ListOrgs(ctx context.Context, c *policy.Caller) ([]intel.Org, error)
	OwnOrgSettings(ctx context.Context, c *policy.Caller) (hub.OrgSettings, error)
	UpdateOrg(ctx context.Context, c *policy.Caller, org string, s hub.OrgSettings) (intel.Org, error)
	ListGroups(ctx context.Context, c *policy.Caller) ([]intel.Group, error)
	GetGroup(ctx context.Context, c *policy.Caller, id string) (intel.Group, error)
	CreateGroup(ctx context.Context, c *policy.Caller, name string) (intel.Group, error)
	AddGroupMember(ctx context.Context, c *policy.Caller, group, org string) (intel.Group, error)
	RemoveGroupMember(ctx context.Context, c *policy.Caller, group, org string) (intel.Group, error)
	// The chain of custody on the record page (custody.go) and the sensors
	// page (sensors.go): the harness drives them as Client.Entries and
	// Client.Sightings.
	EvidenceEntries(ctx context.Context, c *policy.Caller, from, to int64) ([]hub.Entry, error)
	RecordSightings(ctx context.Context, c *policy.Caller, obs []match.Observation) (hub.SightingResult, error)
	// The sensors page also feeds an uploaded log to the organization's C2
	// detector, and the detections page (detections.go) lists what it
	// found: the harness drives them as Client.Events and
	// Client.Detections.
	Detect(ctx context.Context, c *policy.Caller, zr *zeek.Reader) (hub.DetectResult, error)
	Detections(ctx context.Context, c *policy.Caller) ([]finding.Finding, error)
	// The SMS guard's pages (sms.go): the organization's apps, one app's
	// traffic and blocks, and the release of a block.
	SMSApps(ctx context.Context, c *policy.Caller) ([]hub.SMSApp, error)
	SMSApp(ctx context.Context, c *policy.Caller, app string) (hub.SMSApp, error)
	SMSRelease(ctx context.Context, c *policy.Caller, app, prefix string) (hub.SMSBlock, error)
	// The rule packages' pages (rules.go): the packages the caller may
	// see, one of them, and publishing one.
	ListRulePackages(ctx context.Context, c *policy.Caller) ([]hub.SharedPackage, error)
	GetRulePackage(ctx context.Context, c *policy.Caller, id string, version int) (hub.SharedPackage, error)
	CreateRulePackage(ctx context.Context, c *policy.Caller, in hub.RulePackageInput) (hub.SharedPackage, error)
	ReviseRulePackage(ctx context.Context, c *policy.Caller, id string, in hub.RulePackageInput) (hub.SharedPackage, error)
	RevokeRulePackage(ctx context.Context, c *policy.Caller, id, reason string) (hub.SharedPackage, error)
	// The evidence bundle download (custody.go); the harness drives it as
	// Client.Bundle.
	EvidenceBundle(ctx context.Context, c *policy.Caller, id string) (*evidence.Bundle, error)
	// The action-day pages (actionday.go): the days, one day, its
	// bookings submitted by an airline, a country's package, the police's
	// outcomes and the day's figures.
	CreateActionDay(ctx context.Context, c *policy.Caller, in hub.ActionDayInput) (hub.ActionDay, error)
	ActionDays(ctx context.Context, c *policy.Caller) ([]hub.ActionDay, error)
	GetActionDay(ctx context.Context, c *policy.Caller, id string) (hub.ActionDay, error)
	UpdateActionDay(ctx context.Context, c *policy.Caller, id string, p hub.ActionDayPatch) (hub.ActionDay, error)
	SubmitBookings(ctx context.Context, c *policy.Caller, id, format string, r io.Reader) (hub.SubmitResult, error)
	ActionDayBookings(ctx context.Context, c *policy.Caller, id, country string) (hub.ActionDayPackage, error)
	RecordOutcome(ctx context.Context, c *policy.Caller, id, airline, booking, outcome, note string) (hub.Outcome, error)
	Summary(ctx context.Context, c *policy.Caller, id string) (hub.ActionDaySummary, error)
}

// EvidenceLog is what the evidence page (evidence.go) and the chain of
// custody read of the hub's evidence log as a whole: its size, its signed
// checkpoint and whether it is halted. None of it takes a caller or names a
// record (a checkpoint is an origin, a size and a root hash), and any
// signed-in caller gets the same over the API (GET
// /api/v1/evidence/checkpoint), so it is not a ui.Hub method. The hub's
// *evidence.Log satisfies it.
type EvidenceLog interface {
	Size(ctx context.Context) (int64, error)
	// Checkpoint signs a checkpoint of the whole log if it grew, checking
	// the new entries first (see evidence.Log.Checkpoint).
	Checkpoint(ctx context.Context) (evidence.Checkpoint, error)
	Halted() error
}

// UI is the web UI's handlers and their dependencies.
type UI struct {
	auth   Auth
	hub    Hub
	ev     EvidenceLog
	csrf   *CSRF
	secure bool
	log    *slog.Logger
}

// New returns the UI of opts.
func New(opts Options) *UI {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &UI{auth: opts.Auth, hub: opts.Hub, ev: opts.Evidence, csrf: NewCSRF(opts.Key), secure: opts.SecureCookies, log: opts.Log}
}

// Handler returns New(opts).Handler().
func Handler(opts Options) http.Handler { return New(opts).Handler() }

// CSRF returns the UI's CSRF token maker.
func (u *UI) CSRF() *CSRF { return u.csrf }

// Handler routes every UI path, behind the security headers and
// CrossOriginProtection. Mount it at "/".
func (u *UI) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", u.home)
	mux.HandleFunc("GET /about", u.about)
	mux.HandleFunc("GET /login", u.loginPage)
	mux.HandleFunc("POST /login", u.login)
	mux.HandleFunc("POST /lang", u.switchLang)
	mux.HandleFunc("POST /logout", u.signedIn(u.logout))
	mux.HandleFunc("GET /records", u.signedIn(u.records))
	mux.HandleFunc("GET /records/{id}", u.signedIn(u.record))
	// Submitting records, and reports.
	mux.HandleFunc("GET /submit", u.signedIn(u.submitPage))
	mux.HandleFunc("POST /submit", u.signedInMax(maxSubmitForm, u.submit))
	mux.HandleFunc("GET /reports", u.signedIn(u.reports))
	mux.HandleFunc("GET /reports/new", u.signedIn(u.newReportPage))
	mux.HandleFunc("POST /reports/new", u.signedInMax(maxReportForm, u.newReport))
	mux.HandleFunc("GET /reports/{id}", u.signedIn(u.report))
	mux.HandleFunc("POST /reports/{id}/records", u.signedInMax(maxReportForm, u.addReportRecords))
	mux.HandleFunc("GET /dashboard", u.signedIn(u.dashboard))
	mux.HandleFunc("GET /exercises", u.signedIn(u.exercises))
	mux.HandleFunc("POST /exercises", u.signedInMax(2*maxExerciseFile+64<<10, u.exercises))
	// Hit/no-hit, access requests, feedback and the Tor check.
	mux.HandleFunc("GET /hits", u.signedIn(u.hitsPage))
	mux.HandleFunc("POST /hits", u.signedInMax(MaxHitsForm, u.hits))
	mux.HandleFunc("GET /access-requests", u.signedIn(u.accessPage))
	mux.HandleFunc("POST /access-requests", u.signedInMax(maxSmallForm, u.requestAccess))
	mux.HandleFunc("POST /access-requests/{id}/approve", u.signedInMax(maxSmallForm, u.decideAccess(true)))
	mux.HandleFunc("POST /access-requests/{id}/deny", u.signedInMax(maxSmallForm, u.decideAccess(false)))
	mux.HandleFunc("POST /records/{id}/feedback", u.signedInMax(maxSmallForm, u.addFeedback))
	mux.HandleFunc("GET /feedback", u.signedIn(u.feedbackPage))
	mux.HandleFunc("GET /tor", u.signedIn(u.torCheck))
	// The reader's account, and the organization's administration.
	mux.HandleFunc("GET /account", u.signedIn(u.account))
	mux.HandleFunc("POST /account/totp", u.signedInMax(maxAccountForm, u.enrolTOTP))
	mux.HandleFunc("POST /account/totp/confirm", u.signedInMax(maxAccountForm, u.confirmTOTP))
	mux.HandleFunc("POST /account/password", u.signedInMax(maxAccountForm, u.changePassword))
	mux.HandleFunc("POST /account/sessions", u.signedInMax(maxAccountForm, u.revokeOwnSessions))
	mux.HandleFunc("GET /admin", u.signedIn(u.admin))
	mux.HandleFunc("POST /admin/users", u.signedInMax(maxAccountForm, u.createUser))
	mux.HandleFunc("POST /admin/users/{login}/disable", u.signedInMax(maxAccountForm, u.setUserDisabled(true)))
	mux.HandleFunc("POST /admin/users/{login}/enable", u.signedInMax(maxAccountForm, u.setUserDisabled(false)))
	mux.HandleFunc("POST /admin/users/{login}/sessions", u.signedInMax(maxAccountForm, u.revokeUserSessions))
	mux.HandleFunc("POST /admin/tokens", u.signedInMax(maxAccountForm, u.issueToken))
	mux.HandleFunc("POST /admin/tokens/{id}/revoke", u.signedInMax(maxAccountForm, u.revokeToken))
	// The directory: organizations and sharing groups.
	mux.HandleFunc("GET /admin/orgs", u.signedIn(u.orgs))
	mux.HandleFunc("POST /admin/orgs/settings", u.signedInMax(maxGroupForm, u.updateOrgSettings))
	mux.HandleFunc("GET /admin/groups", u.signedIn(u.groups))
	mux.HandleFunc("POST /admin/groups", u.signedInMax(maxGroupForm, u.createGroup))
	mux.HandleFunc("GET /admin/groups/{id}", u.signedIn(u.group))
	mux.HandleFunc("POST /admin/groups/{id}/members", u.signedInMax(maxGroupForm, u.addGroupMember))
	mux.HandleFunc("POST /admin/groups/{id}/members/{org}/remove", u.signedInMax(maxGroupForm, u.removeGroupMember))
	// The evidence log, a record's evidence bundle, and sensor uploads.
	mux.HandleFunc("GET /evidence", u.signedIn(u.evidencePage))
	mux.HandleFunc("GET /records/{id}/evidence.bundle", u.signedIn(u.evidenceBundle))
	mux.HandleFunc("GET /detections", u.signedIn(u.detections))
	mux.HandleFunc("GET /sms", u.signedIn(u.smsList))
	mux.HandleFunc("GET /sms/{app}", u.signedIn(u.smsApp))
	mux.HandleFunc("POST /sms/{app}/release", u.signedInMax(maxSmallForm, u.smsRelease))
	// Action days: the days, a day, its packages and its summary.
	mux.HandleFunc("GET /action-days", u.signedIn(u.actionDays))
	mux.HandleFunc("POST /action-days", u.signedInMax(maxActionDayForm, u.createActionDay))
	mux.HandleFunc("GET /action-days/{id}", u.signedIn(u.actionDay))
	mux.HandleFunc("POST /action-days/{id}/bookings", u.signedInMax(maxBookingsForm, u.submitBookings))
	mux.HandleFunc("POST /action-days/{id}/police", u.signedInMax(maxActionDayForm, u.namePolice))
	mux.HandleFunc("POST /action-days/{id}/settings", u.signedInMax(maxActionDayForm, u.changeActionDay))
	mux.HandleFunc("GET /action-days/{id}/packages/{country}", u.signedIn(u.actionDayPackage))
	mux.HandleFunc("POST /action-days/{id}/outcomes", u.signedInMax(maxActionDayForm, u.recordOutcome))
	mux.HandleFunc("GET /action-days/{id}/summary", u.signedIn(u.actionDaySummary))
	mux.HandleFunc("GET /action-days/{id}/summary.csv", u.signedIn(u.actionDaySummaryCSV))
	mux.HandleFunc("GET /rules", u.signedIn(u.rulesList))
	mux.HandleFunc("POST /rules", u.signedInMax(maxRulesForm, u.publishRules))
	mux.HandleFunc("GET /rules/{id}", u.signedIn(u.rulePackage))
	mux.HandleFunc("POST /rules/{id}/revise", u.signedInMax(maxRulesForm, u.reviseRules))
	mux.HandleFunc("POST /rules/{id}/revoke", u.signedIn(u.revokeRules))
	mux.HandleFunc("GET /sensors", u.signedIn(u.sensors))
	mux.HandleFunc("POST /sensors", u.signedInMax(maxSensorFile+64<<10, u.sensors))
	mux.HandleFunc("GET /static/{name}", u.serveAsset)
	mux.HandleFunc("/", u.notFound)
	return secure(mux)
}

// cookie returns a cookie of the UI's kind: path /, HttpOnly,
// SameSite=Strict, Secure behind TLS.
func (u *UI) cookie(r *http.Request, name, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", Expires: expires, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: u.secure || r.TLS != nil}
}
