package api

import (
	"errors"
	"net/http"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/sms"
)

// MaxSMSBody bounds one SMS check or verification: a few hundred bytes of
// JSON, with a user agent of at most 1 KB.
const MaxSMSBody = 8 << 10

// smsError makes the engine's parse errors API errors: a bad field is
// invalid_field naming the field, the value and the reason; anything else
// the body's shape.
func smsError(err error) error {
	var fe *sms.FieldError
	if errors.As(err, &fe) {
		return &decodeError{"invalid_field", fe.Error()}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return &decodeError{"invalid_json", err.Error()}
}

// smsCheck answers POST /api/v1/sms/check {app, number, ip, user_agent,
// time}: send the one-time code, challenge first, or block.
func (s *Server) smsCheck(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req, err := sms.ParseRequest(body)
	if err != nil {
		s.fail(w, r, smsError(err))
		return
	}
	d, err := s.hub.SMSCheck(r.Context(), c, &req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// smsVerified answers POST /api/v1/sms/verified {app, number, time}: the
// code sent to number was entered.
func (s *Server) smsVerified(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := sms.ParseVerified(body)
	if err != nil {
		s.fail(w, r, smsError(err))
		return
	}
	if err := s.hub.SMSVerified(r.Context(), c, &v); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"recorded": true})
}

// smsBlocks answers GET /api/v1/sms/blocks: the caller's organization's
// blocks in force, with their reasons.
func (s *Server) smsBlocks(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if _, err := query(r); err != nil {
		s.fail(w, r, err)
		return
	}
	bs, err := s.hub.SMSBlocks(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"blocks": bs})
}

// smsReleaseBody is the body of POST /api/v1/sms/blocks/release.
type smsReleaseBody struct {
	App    string `json:"app"`
	Prefix string `json:"prefix"`
}

// smsRelease answers POST /api/v1/sms/blocks/release {app, prefix}: lift
// a block now; the answer is the block released.
func (s *Server) smsRelease(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var b smsReleaseBody
	if err := decode(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	rel, err := s.hub.SMSRelease(r.Context(), c, b.App, b.Prefix)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"released": rel})
}

// smsSettings answers GET /api/v1/sms/apps/{app}/settings: the app's
// settings in the caller's organization's guard.
func (s *Server) smsSettings(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if _, err := query(r); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.hub.SMSAppSettings(r.Context(), c, r.PathValue("app"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// smsConfigure answers PUT /api/v1/sms/apps/{app}/settings {mode, allowed,
// shared, safe_numbers, safe_prefixes}: set the app's settings (absent
// fields take their defaults); the answer is the settings as stored.
func (s *Server) smsConfigure(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	body, err := readBody(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set, err := sms.ParseSettings(body)
	if err != nil {
		s.fail(w, r, smsError(err))
		return
	}
	a, err := s.hub.SMSConfigure(r.Context(), c, r.PathValue("app"), set)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// smsShareBody is the body of POST /api/v1/sms/blocks/share.
type smsShareBody struct {
	App      string          `json:"app"`
	Prefix   string          `json:"prefix"`
	TLP      string          `json:"tlp"`
	Audience *intel.Audience `json:"audience"`
}

// smsShare answers POST /api/v1/sms/blocks/share {app, prefix, tlp?,
// audience?}: share a pumped range as a phone-range record labelled
// sms-pumping; the answer is the record.
func (s *Server) smsShare(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	var b smsShareBody
	if err := decode(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.hub.SMSShare(r.Context(), c, b.App, b.Prefix, hub.SMSShareOptions{TLP: b.TLP, Audience: b.Audience})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"record": rec})
}

// smsApps answers GET /api/v1/sms/apps: the caller's organization's apps
// counted in the last two days or blocking something, with their hourly
// traffic and blocks.
func (s *Server) smsApps(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if _, err := query(r); err != nil {
		s.fail(w, r, err)
		return
	}
	apps, err := s.hub.SMSApps(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"apps": apps})
}

// smsApp answers GET /api/v1/sms/apps/{app}: one app's traffic per hour,
// country and prefix, and its blocks.
func (s *Server) smsApp(w http.ResponseWriter, r *http.Request, c *policy.Caller) {
	if _, err := query(r); err != nil {
		s.fail(w, r, err)
		return
	}
	app, err := s.hub.SMSApp(r.Context(), c, r.PathValue("app"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app)
}
