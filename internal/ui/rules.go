package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fusion/internal/hub"
	"fusion/internal/intel"
	"fusion/internal/policy"
	"fusion/internal/screen"
)

// The rule packages' pages: /rules lists the rule packages of transaction
// screening the reader's organization may see (hub.ListRulePackages: the
// policy gate decides, and a package of another organization is logged as
// disclosed), with a form for analysts to publish one (hub.CreateRulePackage);
// /rules/{id} shows one (hub.GetRulePackage): its rules, threshold,
// version, originator and sharing terms, and to its originator's analysts
// the forms to revise it (hub.ReviseRulePackage) and revoke it
// (hub.RevokeRulePackage).

// maxRulesForm bounds the publish form: the package and its terms.
const maxRulesForm = hub.MaxRulePackage + 16<<10

// rulesRow is a package in the listing.
type rulesRow struct {
	ID, Href, Name, Originator, TLP string
	Version, Rules                  int
	Revoked                         bool
}

// packageForm is the form that publishes a package (/rules) or revises one
// (/rules/{id}): the package's JSON and its sharing terms as the form
// shows them, HelpKey the text under the package, OwnGroups the reader's
// groups for the audience's help.
type packageForm struct {
	Package, TLP, Orgs, Groups, Codes string
	HelpKey                           string
	OwnGroups                         []string
}

// TLPs are the labels the form offers.
func (packageForm) TLPs() []string {
	out := make([]string, len(intel.TLPs))
	for i, t := range intel.TLPs {
		out[i] = string(t)
	}
	return out
}

// readPackageForm reads the form as sent, and the hub's input from it. The
// package is refused as not JSON here, so that the form can say so.
func readPackageForm(r *http.Request, helpKey string) (packageForm, hub.RulePackageInput, error) {
	f := packageForm{Package: r.PostFormValue("package"), TLP: r.PostFormValue("tlp"), Orgs: r.PostFormValue("orgs"),
		Groups: r.PostFormValue("groups"), Codes: r.PostFormValue("codes"), HelpKey: helpKey}
	in := hub.RulePackageInput{Package: json.RawMessage(f.Package), TLP: f.TLP,
		Audience: &intel.Audience{Orgs: splitList(f.Orgs), Groups: splitList(f.Groups)}, Handling: &intel.Handling{Codes: splitList(f.Codes)}}
	if strings.TrimSpace(f.Package) != "" && !json.Valid([]byte(f.Package)) {
		return f, in, &intel.FieldError{Field: "package", Reason: "not JSON"}
	}
	return f, in, nil
}

// rulesData is the /rules page; Form is the publish form, as sent back
// after a refusal.
type rulesData struct {
	Packages   []rulesRow
	CanPublish bool
	Form       packageForm
	ErrorText  string
}

func rulesHref(id string) string { return "/rules/" + url.PathEscape(id) }

// rulesList serves GET /rules.
func (u *UI) rulesList(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderRules(w, r, s, http.StatusOK, rulesData{Form: packageForm{TLP: string(intel.Amber), HelpKey: "rules.publish.package.help"}})
}

func (u *UI) renderRules(w http.ResponseWriter, r *http.Request, s *session, status int, d rulesData) {
	list, err := u.hub.ListRulePackages(r.Context(), s.caller)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	for _, p := range list {
		d.Packages = append(d.Packages, rulesRow{ID: p.ID, Href: rulesHref(p.ID), Name: p.Package.Name, Originator: p.Originator,
			TLP: string(p.TLP), Version: p.Version, Rules: len(p.Package.Rules), Revoked: p.Revoked != nil})
	}
	d.CanPublish = policy.Can(s.caller, policy.CreateRecords)
	d.Form.OwnGroups = s.caller.Groups
	u.render(w, r, status, "rules.html", u.page(s, "rules.title", d))
}

// publishRules serves POST /rules: the package as pasted, its TLP,
// audience (organizations and groups) and handling codes. A refused
// package is shown again with the hub's reason (naming the field, such as
// package.rules[0].expr, the value and why); a published one opens.
func (u *UI) publishRules(w http.ResponseWriter, r *http.Request, s *session) {
	form, in, err := readPackageForm(r, "rules.publish.package.help")
	d := rulesData{Form: form}
	var p hub.SharedPackage
	if err == nil {
		p, err = u.hub.CreateRulePackage(r.Context(), s.caller, in)
	}
	var fe *intel.FieldError
	switch {
	case errors.As(err, &fe):
		d.ErrorText = fe.Error()
		u.renderRules(w, r, s, http.StatusBadRequest, d)
		return
	case err != nil:
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, rulesHref(p.ID), http.StatusSeeOther)
}

// ruleData is the /rules/{id} page. CanChange offers the revise and
// revoke forms: the current version, not revoked, and the gate lets the
// caller change it (policy.Change: its originator's analysts and admins).
// Form is the revise form: the current terms, or the form as sent back
// after a refusal, with ErrorText;
// RevokeError is a refused revocation's reason.
type ruleData struct {
	P                      hub.SharedPackage
	CanChange              bool
	Form                   packageForm
	ErrorText, RevokeError string
}

// Earlier lists the package's other versions, for links.
func (d ruleData) Earlier() []int {
	var out []int
	for v := 1; v <= d.P.Version; v++ {
		out = append(out, v)
	}
	return out
}

// rulePackage serves GET /rules/{id}[?version=N].
func (u *UI) rulePackage(w http.ResponseWriter, r *http.Request, s *session) {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			http.Error(w, (&intel.FieldError{Field: "version", Value: v, Reason: "must be a whole number from 1 up"}).Error(), http.StatusBadRequest)
			return
		}
		version = n
	}
	u.renderRule(w, r, s, http.StatusOK, version, nil)
}

// renderRule shows version (0: the current one) of the package named in
// the path; sent is the revise or revoke form as sent back after a
// refusal, nil for the package's own terms.
func (u *UI) renderRule(w http.ResponseWriter, r *http.Request, s *session, status, version int, sent *ruleData) {
	p, err := u.hub.GetRulePackage(r.Context(), s.caller, r.PathValue("id"), version)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := ruleData{P: p}
	if sent != nil {
		d = *sent
		d.P = p
	} else {
		d.Form = packageForm{Package: editablePackage(p), TLP: string(p.TLP), Orgs: strings.Join(p.Audience.Orgs, ", "),
			Groups: strings.Join(p.Audience.Groups, ", "), Codes: strings.Join(p.Handling.Codes, " "), HelpKey: "rule.revise.help"}
	}
	d.Form.OwnGroups = s.caller.Groups
	d.CanChange = version == 0 && p.Revoked == nil &&
		policy.Change(s.caller, "rule package", p.ID, policy.Shared{Originator: p.Originator, TLP: p.TLP, Audience: p.Audience}) == nil
	u.render(w, r, status, "rule.html", u.page(s, "rule.title", d))
}

// editablePackage is p's package as the revise form starts from it:
// indented, without the id and version the hub gives a revision.
func editablePackage(p hub.SharedPackage) string {
	if p.Package == nil {
		return ""
	}
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // the template escapes; the form shows the rules as written
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Name      string        `json:"name"`
		Threshold float64       `json:"threshold"`
		Rules     []screen.Rule `json:"rules"`
	}{p.Package.Name, p.Package.Threshold, p.Package.Rules}); err != nil {
		return ""
	}
	return out.String()
}

// reviseRules serves POST /rules/{id}/revise: the next version, with the
// package and sharing terms as the form sends them
// (hub.ReviseRulePackage). A refusal that names a field is shown on the
// package's page with the form as sent; the revision opens.
//
// The form carries the version it was made from (base): the revision is
// that version's next, so of two analysts revising the same version the
// second is refused rather than overwriting the first's unseen.
func (u *UI) reviseRules(w http.ResponseWriter, r *http.Request, s *session) {
	form, in, err := readPackageForm(r, "rule.revise.help")
	d := ruleData{Form: form}
	switch base, baseErr := strconv.Atoi(r.PostFormValue("base")); {
	case err != nil:
	case baseErr != nil || base < 1:
		err = &intel.FieldError{Field: "base", Value: r.PostFormValue("base"), Reason: "must be the version the revision starts from"}
	default:
		var set bool
		in.Package, set = withVersion(in.Package, base+1)
		_, err = u.hub.ReviseRulePackage(r.Context(), s.caller, r.PathValue("id"), in)
		var fe *intel.FieldError
		if set && errors.As(err, &fe) && fe.Field == "package.version" {
			err = &intel.FieldError{Field: "base", Value: strconv.Itoa(base), Reason: "the package was revised since this form was opened (" + fe.Reason + "); open it again to revise the current version"}
		}
	}
	var fe *intel.FieldError
	switch {
	case errors.As(err, &fe):
		d.ErrorText = fe.Error()
		u.renderRule(w, r, s, http.StatusBadRequest, 0, &d)
	case err != nil:
		u.fail(w, r, err)
	default:
		http.Redirect(w, r, rulesHref(r.PathValue("id")), http.StatusSeeOther)
	}
}

// withVersion is the package JSON pkg with its version set to v, and
// true, unless it names a version of its own (the hub then checks that
// one) or is not a JSON object (the hub says why): then pkg as given.
func withVersion(pkg json.RawMessage, v int) (json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(pkg, &m) != nil || m == nil {
		return pkg, false
	}
	if _, ok := m["version"]; ok {
		return pkg, false
	}
	m["version"] = json.RawMessage(strconv.Itoa(v))
	out, err := json.Marshal(m)
	if err != nil {
		return pkg, false
	}
	return out, true
}

// revokeRules serves POST /rules/{id}/revoke with the reason given
// (hub.RevokeRulePackage): the package stays listed, marked revoked, and
// nobody screens with it any more.
func (u *UI) revokeRules(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := u.hub.RevokeRulePackage(r.Context(), s.caller, r.PathValue("id"), r.PostFormValue("reason"))
	var fe *intel.FieldError
	switch {
	case errors.As(err, &fe):
		u.renderRule(w, r, s, http.StatusBadRequest, 0, &ruleData{RevokeError: fe.Error()})
	case err != nil:
		u.fail(w, r, err)
	default:
		http.Redirect(w, r, rulesHref(r.PathValue("id")), http.StatusSeeOther)
	}
}
