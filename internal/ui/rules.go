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
)

// The rule packages' pages: /rules lists the rule packages of transaction
// screening the reader's organization may see (hub.ListRulePackages: the
// policy gate decides, and a package of another organization is logged as
// disclosed), with a form for analysts to publish one (hub.CreateRulePackage);
// /rules/{id} shows one (hub.GetRulePackage): its rules, threshold,
// version, originator and sharing terms.

// maxRulesForm bounds the publish form: the package and its terms.
const maxRulesForm = hub.MaxRulePackage + 16<<10

// rulesRow is a package in the listing.
type rulesRow struct {
	ID, Href, Name, Originator, TLP string
	Version, Rules                  int
	Revoked                         bool
}

// rulesData is the /rules page; Package, TLP, Orgs, Groups and Codes are
// the publish form as sent back after a refusal.
type rulesData struct {
	Packages                          []rulesRow
	CanPublish                        bool
	Package, TLP, Orgs, Groups, Codes string
	OwnGroups                         []string
	ErrorText                         string
}

// TLPs are the labels the publish form offers.
func (rulesData) TLPs() []string {
	out := make([]string, len(intel.TLPs))
	for i, t := range intel.TLPs {
		out[i] = string(t)
	}
	return out
}

func rulesHref(id string) string { return "/rules/" + url.PathEscape(id) }

// rulesList serves GET /rules.
func (u *UI) rulesList(w http.ResponseWriter, r *http.Request, s *session) {
	u.renderRules(w, r, s, http.StatusOK, rulesData{TLP: string(intel.Amber)})
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
	d.OwnGroups = s.caller.Groups
	u.render(w, r, status, "rules.html", u.page(s, "rules.title", d))
}

// publishRules serves POST /rules: the package as pasted, its TLP,
// audience (organizations and groups) and handling codes. A refused
// package is shown again with the hub's reason (naming the field, such as
// package.rules[0].expr, the value and why); a published one opens.
func (u *UI) publishRules(w http.ResponseWriter, r *http.Request, s *session) {
	d := rulesData{Package: r.PostFormValue("package"), TLP: r.PostFormValue("tlp"), Orgs: r.PostFormValue("orgs"),
		Groups: r.PostFormValue("groups"), Codes: r.PostFormValue("codes")}
	in := hub.RulePackageInput{Package: json.RawMessage(d.Package), TLP: d.TLP,
		Audience: &intel.Audience{Orgs: splitList(d.Orgs), Groups: splitList(d.Groups)}}
	if codes := splitList(d.Codes); len(codes) > 0 {
		in.Handling = &intel.Handling{Codes: codes}
	}
	if strings.TrimSpace(d.Package) != "" && !json.Valid([]byte(d.Package)) {
		d.ErrorText = (&intel.FieldError{Field: "package", Reason: "not JSON"}).Error()
		u.renderRules(w, r, s, http.StatusBadRequest, d)
		return
	}
	p, err := u.hub.CreateRulePackage(r.Context(), s.caller, in)
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

// ruleData is the /rules/{id} page.
type ruleData struct {
	P hub.SharedPackage
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
	p, err := u.hub.GetRulePackage(r.Context(), s.caller, r.PathValue("id"), version)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "rule.html", u.page(s, "rule.title", ruleData{P: p}))
}
