package ui_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"fusion/internal/intel"
	"fusion/internal/server/servertest"
)

// TestDirectoryThroughTheUI, over HTTP against a real hub (no browser):
// the organizations page and its settings, and a sharing group created,
// given a member and losing it through the forms; every refusal the gate
// makes (an analyst, another member's admin, an organization outside the
// group, no CSRF token, a foreign origin) changes nothing and offers no
// form; bad values are shown in place naming the field, the value and the
// reason, in the reader's language; a group name with <script> is inert.
func TestDirectoryThroughTheUI(t *testing.T) {
	ctx := context.Background()
	h := servertest.Start(t)
	for _, o := range []string{"org-a", "org-b", "org-c"} {
		h.Org(t, o, intel.RoleAnalyst)
	}
	const pw = "correct horse battery staple"
	for _, u := range []struct {
		org, login string
		role       intel.Role
	}{{"org-a", "ada", intel.RoleAdmin}, {"org-a", "ann", intel.RoleAnalyst}, {"org-b", "bea", intel.RoleAdmin}, {"org-c", "cai", intel.RoleAdmin}} {
		if _, err := h.Hub.OperatorCreateUser(ctx, u.org, u.login, u.login, u.role, pw); err != nil {
			t.Fatal(err)
		}
	}
	ada := signInHTTP(t, h, "ada", pw, "en")
	ann := signInHTTP(t, h, "ann", pw, "ja")
	bea := signInHTTP(t, h, "bea", pw, "en")
	cai := signInHTTP(t, h, "cai", pw, "en")
	adaCaller, _, err := h.Hub.SessionCaller(ctx, ada.token)
	if err != nil {
		t.Fatal(err)
	}
	anonymous := func() bool {
		t.Helper()
		s, err := h.Hub.OwnOrgSettings(ctx, adaCaller)
		if err != nil {
			t.Fatal(err)
		}
		return *s.AnonymousFeedback
	}

	// Without a session every page and form sends to the login page.
	anon := &uiClient{t: t, base: h.URL, token: "not-a-session", lang: "en"}
	for _, p := range []string{"GET /admin/orgs", "POST /admin/orgs/settings", "GET /admin/groups", "POST /admin/groups",
		"GET /admin/groups/g-1", "POST /admin/groups/g-1/members", "POST /admin/groups/g-1/members/org-a/remove"} {
		method, path, _ := strings.Cut(p, " ")
		var form url.Values
		if method == "POST" {
			form = url.Values{"name": {"x"}}
		}
		if st, loc, _ := anon.do(method, path, form, nil); st != 303 || loc != "/login" {
			t.Errorf("%s without a session: %d %q", p, st, loc)
		}
	}

	// The organizations page: the directory for everyone, the settings
	// form for the admin only.
	page := ada.get("/admin/orgs", 200)
	for _, want := range []string{`id="org-org-a"`, `id="org-org-b"`, `id="org-org-c"`, `id="settings-form"`, `href="/admin/groups"`, `href="/admin"`} {
		if !strings.Contains(page, want) {
			t.Errorf("ada's /admin/orgs lacks %s", want)
		}
	}
	page = ann.get("/admin/orgs", 200)
	if strings.Contains(page, `id="settings-form"`) || !strings.Contains(page, `id="settings-readonly"`) || !strings.Contains(page, `id="org-org-c"`) {
		t.Errorf("an analyst's /admin/orgs: the settings must be read-only, the directory shown")
	}
	if strings.Contains(page, `href="/admin"`) {
		t.Errorf("an analyst's /admin/orgs links to the users and tokens page the gate refuses")
	}
	if st, _, body := ann.post("/admin/orgs/settings", url.Values{"anonymous_feedback": {"true"}}, nil); st != 403 || !strings.Contains(body, `id="orgs-error"`) || anonymous() {
		t.Errorf("an analyst changing the settings: %d, anonymous %v", st, anonymous())
	}
	if st, _, _ := ada.do("POST", "/admin/orgs/settings", url.Values{"anonymous_feedback": {"true"}}, nil); st != 403 || anonymous() {
		t.Errorf("the settings without the form's token: %d", st)
	}
	st, _, body := ada.post("/admin/orgs/settings", url.Values{"anonymous_feedback": {"maybe"}}, nil)
	if st != 400 || !strings.Contains(body, `id="orgs-error"`) || !strings.Contains(body, "maybe") || !strings.Contains(body, "Feedback and sightings setting") {
		t.Errorf("a forged settings value: %d", st)
	}
	if st, loc, _ := ada.post("/admin/orgs/settings", url.Values{"anonymous_feedback": {"true"}}, nil); st != 303 || loc != "/admin/orgs?done=settings" || !anonymous() {
		t.Errorf("the admin's settings: %d %q, anonymous %v", st, loc, anonymous())
	}
	if page := ada.get("/admin/orgs?done=settings", 200); !strings.Contains(page, `id="orgs-done"`) || !strings.Contains(page, `value="true" aria-describedby="anonymous-help" checked`) {
		t.Errorf("after saving, the page shows neither the notice nor the setting")
	}

	// Creating a group: the analyst is offered no form and refused.
	groups := func() []intel.Group {
		t.Helper()
		c, _, err := h.Hub.SessionCaller(ctx, ada.token)
		if err != nil {
			t.Fatal(err)
		}
		gs, err := h.Hub.ListGroups(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return gs
	}
	if page := ann.get("/admin/groups", 200); strings.Contains(page, `id="group-form"`) || !strings.Contains(page, `id="groups-none"`) {
		t.Errorf("an analyst's /admin/groups offers the create form")
	}
	if st, _, body := ann.post("/admin/groups", url.Values{"name": {"Analysts' ring"}}, nil); st != 403 || !strings.Contains(body, "共有グループを作成できるのは管理者のみです") || len(groups()) != 0 {
		t.Errorf("an analyst creating a group: %d, %d groups", st, len(groups()))
	}
	if st, _, _ := ada.post("/admin/groups", url.Values{"name": {"x"}}, map[string]string{"Origin": "https://evil.example"}); st != 403 || len(groups()) != 0 {
		t.Errorf("creating a group from a foreign origin: %d", st)
	}
	st, _, body = ada.post("/admin/groups", url.Values{"name": {"   "}}, nil)
	if st != 400 || !strings.Contains(body, `id="groups-error"`) || !strings.Contains(body, "Group name") || !strings.Contains(body, "must be 1 to 256 bytes") {
		t.Errorf("an empty group name: %d\n%s", st, body)
	}
	jaAda := *ada
	jaAda.lang = "ja"
	if _, _, body := jaAda.post("/admin/groups", url.Values{"name": {strings.Repeat("x", 300)}}, nil); !strings.Contains(body, "グループ名「"+strings.Repeat("x", 300)+"」：1〜256 バイトで入力してください") {
		t.Errorf("a too long group name in Japanese is not explained in Japanese")
	}
	const hostile = `<script>alert("x")</script> CERT ring`
	st, loc, _ := ada.post("/admin/groups", url.Values{"name": {hostile}}, nil)
	gs := groups()
	if st != 303 || len(gs) != 1 || loc != "/admin/groups/"+gs[0].ID+"?done=created" {
		t.Fatalf("creating a group: %d %q %+v", st, loc, gs)
	}
	g := gs[0]
	path := "/admin/groups/" + g.ID
	for _, p := range []string{loc, "/admin/groups"} {
		page := ada.get(p, 200)
		if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; CERT ring") {
			t.Errorf("%s: the group's name is not rendered inert", p)
		}
	}
	page = ada.get(loc, 200)
	for _, want := range []string{`id="group-done"`, `id="member-form"`, `<option value="org-b">`, `<option value="org-c">`, `id="member-org-a"`} {
		if !strings.Contains(page, want) {
			t.Errorf("ada's new group page lacks %s", want)
		}
	}
	if strings.Contains(page, `<option value="org-a">`) || strings.Contains(page, "/members/org-a/remove") {
		t.Errorf("the owner is offered to be added again or removed")
	}

	// Adding a member: refused without the token, from a foreign origin,
	// and to an analyst; then done by the owner's admin.
	members := func() []string {
		t.Helper()
		gs := groups()
		if len(gs) != 1 {
			t.Fatalf("%d groups", len(gs))
		}
		slices.Sort(gs[0].Members)
		return gs[0].Members
	}
	add := url.Values{"org": {"org-b"}}
	if st, _, _ := ada.do("POST", path+"/members", add, nil); st != 403 {
		t.Errorf("adding without the form's token: %d", st)
	}
	if st, _, _ := ada.post(path+"/members", add, map[string]string{"Origin": "https://evil.example"}); st != 403 {
		t.Errorf("adding from a foreign origin: %d", st)
	}
	if st, _, body := ann.post(path+"/members", add, nil); st != 403 || !strings.Contains(body, `id="group-error"`) {
		t.Errorf("an analyst adding a member: %d", st)
	}
	if page := ann.get(path, 200); strings.Contains(page, `id="member-form"`) || !strings.Contains(page, `id="group-readonly"`) {
		t.Errorf("an analyst's group page offers the member forms")
	}
	if m := members(); !slices.Equal(m, []string{"org-a"}) {
		t.Fatalf("members after refused adds: %v", m)
	}
	st, _, body = ada.post(path+"/members", url.Values{"org": {"org-zz"}}, nil)
	if st != 400 || !strings.Contains(body, `Organization “org-zz”: no such organization`) {
		t.Errorf("adding an unknown organization: %d", st)
	}
	if st, loc, _ := ada.post(path+"/members", add, nil); st != 303 || loc != path+"?done=added" {
		t.Errorf("adding org-b: %d %q", st, loc)
	}
	if m := members(); !slices.Equal(m, []string{"org-a", "org-b"}) {
		t.Fatalf("members after adding org-b: %v", m)
	}

	// org-b's admin, a member but not the owner: sees the group, may not
	// change it. org-c's admin: the group does not exist for it.
	page = bea.get(path, 200)
	if strings.Contains(page, `id="member-form"`) || strings.Contains(page, "/remove") || !strings.Contains(page, `id="member-org-b"`) {
		t.Errorf("org-b's admin is offered the owner's forms")
	}
	if st, _, body := bea.post(path+"/members", url.Values{"org": {"org-c"}}, nil); st != 403 || !strings.Contains(body, "owner organization may change its members") {
		t.Errorf("org-b's admin adding org-c: %d", st)
	}
	if st, _, _ := bea.post(path+"/members/org-a/remove", url.Values{}, nil); st != 403 {
		t.Errorf("org-b's admin removing the owner: %d", st)
	}
	if page := bea.get("/admin/groups", 200); !strings.Contains(page, `id="group-`+g.ID+`"`) {
		t.Errorf("org-b's admin does not list the group it is in")
	}
	cai.get(path, 404)
	if page := cai.get("/admin/groups", 200); strings.Contains(page, g.ID) || strings.Contains(page, "CERT ring") {
		t.Errorf("LEAK: org-c lists a group it is not in")
	}
	if st, _, _ := cai.post(path+"/members", url.Values{"org": {"org-c"}}, nil); st != 404 {
		t.Errorf("org-c's admin joining the group: %d", st)
	}
	if st, _, _ := cai.post(path+"/members/org-b/remove", url.Values{}, nil); st != 404 {
		t.Errorf("org-c's admin removing org-b: %d", st)
	}
	if m := members(); !slices.Equal(m, []string{"org-a", "org-b"}) {
		t.Fatalf("members after refused changes: %v", m)
	}

	// Removing: the owner cannot leave; a non-member is said so; org-b goes.
	st, _, body = ada.post(path+"/members/org-a/remove", url.Values{}, nil)
	if st != 400 || !strings.Contains(body, "the owner organization cannot leave its own group") {
		t.Errorf("the owner leaving: %d", st)
	}
	if st, _, body := ada.post(path+"/members/org-c/remove", url.Values{}, nil); st != 404 || !strings.Contains(body, "org-c is not a member") {
		t.Errorf("removing a non-member: %d", st)
	}
	if st, _, _ := ada.do("POST", path+"/members/org-b/remove", url.Values{}, nil); st != 403 {
		t.Errorf("removing without the form's token: %d", st)
	}
	if st, loc, _ := ada.post(path+"/members/org-b/remove", url.Values{}, nil); st != 303 || loc != path+"?done=removed" {
		t.Errorf("removing org-b: %d %q", st, loc)
	}
	if m := members(); !slices.Equal(m, []string{"org-a"}) {
		t.Errorf("members after removing org-b: %v", m)
	}
	bea.get(path, 404)
}
