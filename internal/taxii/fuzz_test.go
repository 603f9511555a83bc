package taxii_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fusion/internal/hub"
	"fusion/internal/stix"
	"fusion/internal/store/storetest"
)

// FuzzQuery sends arbitrary query strings, Accept and Authorization headers
// to the list endpoints of a real hub: every answer is 200, 400, 401 or
// 406 (never a 500, never a hang), in the TAXII media type, and an error
// is a TAXII error resource.
func FuzzQuery(f *testing.F) {
	w := newWorld(f, storetest.SQLite(f))
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, q := range []string{
		"", "limit=1", "limit=0", "limit=abc", "limit=99999999999999999999", "next=" + cursor("1.0.0"), "next=" + cursor("999.3.1"),
		"next=" + cursor("1.99999.0"), "next=" + cursor("9223372036854775807.9223372036854775807.9223372036854775807"), "next=%%%",
		"added_after=2026-01-01T00:00:00Z", "added_after=2026-01-01", "match[type]=indicator,,,", "match[id]=indicator--x",
		"match[version]=all&match[version]=first", "match[version]=0000-01-01T00:00:00Z", "match[spec_version]=2.1,2.0",
		"limit=2&next=" + cursor("0.3.5") + "&added_after=2020-01-01T00:00:00Z&match[type]=identity",
	} {
		f.Add(q, "", true)
		f.Add(q, "application/taxii+json", false)
	}
	f.Add("limit=1", "application/taxii+json;version=2.1, */*;q=0.1", true)
	f.Add("", "application/taxii+json;version=", true)
	id := stix.IndicatorID(w.rec["updated"].ID)
	paths := []string{objectsPath(hub.CollectionVisible), manifestPath(hub.CollectionVisible), objectPath(hub.CollectionVisible, id),
		objectPath(hub.CollectionVisible, id) + "versions/", objectsPath(w.g1)}
	f.Fuzz(func(t *testing.T, rawQuery, accept string, authed bool) {
		if _, err := url.ParseQuery(rawQuery); err != nil || strings.ContainsFunc(rawQuery, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '#' }) ||
			strings.ContainsFunc(accept, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			return // not a request line or header a client can send
		}
		c := client{t, w.c.base}
		auth := "Bearer not-a-token"
		if authed {
			auth = w.auth("b")
		}
		for _, path := range paths {
			r := c.do("GET", path+"?"+rawQuery, auth, http.Header{"Accept": {accept}}, nil)
			switch r.Status {
			case http.StatusOK:
				if !authed {
					t.Fatalf("GET %s?%s without a valid token: 200", path, rawQuery)
				}
			case http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotAcceptable, http.StatusNotFound:
				taxiiError(t, "GET "+path+"?"+rawQuery, r, r.Status)
			default:
				t.Fatalf("GET %s?%s (Accept %q): %d %s", path, rawQuery, accept, r.Status, r.Body)
			}
		}
	})
}
