package misp

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"fusion/internal/intel"
)

// DefaultTLP is the TLP of an event with no tlp:* tag.
const DefaultTLP = intel.Amber

// maxRecordTags is intel's bound on tags per record.
const maxRecordTags = 64

func parseEvent(raw json.RawMessage) (Event, error) {
	m, err := object(raw)
	if err != nil {
		return Event{}, err
	}
	e := Event{Distribution: -1}
	skip := func(where, format string, a ...any) {
		e.Skipped = append(e.Skipped, Skip{Where: where, Reason: fmt.Sprintf(format, a...)})
	}
	text := func(key string) string {
		s, err := str(m[key])
		if err != nil {
			skip(key, "%v", err)
		}
		return strings.TrimSpace(s)
	}
	e.Info = text("info")
	if u := text("uuid"); u != "" {
		if isUUID(u) {
			e.UUID = strings.ToLower(u)
		} else {
			skip("uuid", "%q is not a uuid", clip(u))
		}
	}
	if d := text("date"); d != "" {
		if _, err := time.Parse("2006-01-02", d); err == nil {
			e.Date = d
		} else {
			skip("date", "%q is not a date (YYYY-MM-DD)", clip(d))
		}
	}
	number := func(key string, lo, hi int) (int, bool) {
		n, ok, err := intish(m[key])
		if err != nil {
			skip(key, "%v", err)
			return 0, false
		}
		if ok && (n < lo || n > hi) {
			skip(key, "%d is not between %d and %d", n, lo, hi)
			return 0, false
		}
		return n, ok
	}
	e.ThreatLevel, _ = number("threat_level_id", 1, 4)
	e.Analysis, _ = number("analysis", 0, 2)
	if d, ok := number("distribution", 0, 5); ok {
		e.Distribution = d
	}
	e.SharingGroup = sharingGroup(m["SharingGroup"], skip)
	e.Orgc = org(m["Orgc"], "Orgc", skip)

	e.Timestamp = epoch(m["timestamp"], "timestamp", skip)
	e.PublishTimestamp = epoch(m["publish_timestamp"], "publish_timestamp", skip)

	// Tags: Tag[] in event files, EventTag[].Tag in index listings.
	var md meta
	tags, tlps := tagList(m, "", &md, skip)
	e.Handling, e.Audience = md.handling, md.audience
	if md.labels != nil {
		e.Labels = *md.labels
	}
	tags = append(tags, galaxies(m["Galaxy"], "Galaxy", skip)...)
	e.Tags = dedupe(tags)
	e.TLP = DefaultTLP
	if t, ok := strictest(tlps); ok {
		e.TLP = t
	}

	ref := ""
	switch {
	case e.Orgc.UUID != "":
		ref = "misp:" + e.Orgc.UUID
	case e.Orgc.Name != "":
		ref = "misp:" + e.Orgc.Name
	}

	add := func(where, object string, raw json.RawMessage) {
		a, err := parseAttribute(raw, where, object, &e, md, ref, skip)
		if err != nil {
			skip(where, "%v", err)
			return
		}
		e.Attributes = append(e.Attributes, a)
	}
	attrs, err := list(m["Attribute"])
	if err != nil {
		skip("Attribute", "%v", err)
	}
	objs, err := list(m["Object"])
	if err != nil {
		skip("Object", "%v", err)
	}
	count := len(attrs)
	type obj struct {
		name  string
		attrs []json.RawMessage
	}
	var objects []obj
	for i, o := range objs {
		where := fmt.Sprintf("Object[%d]", i)
		om, err := object(o)
		if err != nil {
			skip(where, "%v", err)
			continue
		}
		name, _ := str(om["name"])
		as, err := list(om["Attribute"])
		if err != nil {
			skip(where+".Attribute", "%v", err)
		}
		count += len(as)
		objects = append(objects, obj{name: name, attrs: as})
	}
	if count > MaxAttributesPerEvent {
		return Event{}, fmt.Errorf("event %q: %d attributes: %w (max %d per event)", e.UUID, count, ErrTooLarge, MaxAttributesPerEvent)
	}
	for i, a := range attrs {
		add(fmt.Sprintf("Attribute[%d]", i), "", a)
	}
	for i, o := range objects {
		for j, a := range o.attrs {
			add(fmt.Sprintf("Object[%d].Attribute[%d]", i, j), o.name, a)
		}
	}
	return e, nil
}

// sharingGroup reads SharingGroup: [], {} and {"id": null} mean none.
func sharingGroup(raw json.RawMessage, skip func(string, string, ...any)) string {
	items, err := list(raw)
	if err != nil {
		skip("SharingGroup", "%v", err)
		return ""
	}
	if len(items) == 0 {
		return ""
	}
	m, err := object(items[0])
	if err != nil {
		skip("SharingGroup", "%v", err)
		return ""
	}
	if u, _ := str(m["uuid"]); isUUID(strings.TrimSpace(u)) {
		return strings.ToLower(strings.TrimSpace(u))
	}
	id, _ := str(m["id"])
	return strings.TrimSpace(id)
}

func org(raw json.RawMessage, where string, skip func(string, string, ...any)) Org {
	if isNull(raw) {
		return Org{}
	}
	m, err := object(raw)
	if err != nil {
		if s, err := str(raw); err == nil { // index listings: "orgc": ""
			return Org{Name: strings.TrimSpace(s)}
		}
		skip(where, "%v", err)
		return Org{}
	}
	name, _ := str(m["name"])
	o := Org{Name: strings.TrimSpace(name)}
	if u, _ := str(m["uuid"]); u != "" {
		if isUUID(strings.TrimSpace(u)) {
			o.UUID = strings.ToLower(strings.TrimSpace(u))
		} else {
			skip(where+".uuid", "%q is not a uuid", clip(u))
		}
	}
	return o
}

// tagList reads Tag[] and EventTag[]/AttributeTag[] {Tag:{name}} of m,
// splitting tlp:* tags from the others.
// Tags of the fusion and admiralty-scale namespaces go into md instead.
func tagList(m map[string]json.RawMessage, where string, md *meta, skip func(string, string, ...any)) (tags []string, tlps []intel.TLP) {
	var names []struct{ where, name string }
	collect := func(key string, nested bool) {
		items, err := list(m[key])
		if err != nil {
			skip(where+key, "%v", err)
			return
		}
		for i, it := range items {
			w := fmt.Sprintf("%s%s[%d]", where, key, i)
			tm, err := object(it)
			if err == nil && nested {
				tm, err = object(tm["Tag"])
				w += ".Tag"
			}
			if err != nil {
				skip(w, "%v", err)
				continue
			}
			name, err := str(tm["name"])
			if err != nil {
				skip(w+".name", "%v", err)
				continue
			}
			names = append(names, struct{ where, name string }{w, name})
		}
	}
	collect("Tag", false)
	collect("EventTag", true)
	collect("AttributeTag", true)
	for _, n := range names {
		name := strings.TrimSpace(n.name)
		if ns, level, ok := strings.Cut(name, ":"); ok && strings.EqualFold(strings.TrimSpace(ns), "tlp") {
			t, err := tlpLevel(level)
			if err != nil {
				skip(n.where, "%v", err)
				continue
			}
			tlps = append(tlps, t)
			continue
		}
		t, err := intel.ParseTag(name)
		if err != nil {
			skip(n.where, "tag %q: %v", clip(name), err)
			continue
		}
		if mapped, err := md.take(t); mapped {
			if err != nil {
				skip(n.where, "tag %q: %v", clip(t), err)
			}
			continue
		}
		tags = append(tags, t)
	}
	if note := md.finish(); note != "" {
		skip(where+"Tag", "%s", note)
	}
	return tags, tlps
}

// tlpLevel maps the value of a MISP tlp:* tag to TLP 2.0.
func tlpLevel(level string) (intel.TLP, error) {
	v := strings.ToLower(strings.Trim(strings.TrimSpace(level), `"`))
	switch v {
	case "white", "clear":
		return intel.Clear, nil
	case "green":
		return intel.Green, nil
	case "amber":
		return intel.Amber, nil
	case "amber+strict":
		return intel.AmberStrict, nil
	case "red":
		return intel.Red, nil
	}
	return "", fmt.Errorf("tag \"tlp:%s\": not a TLP 2.0 level (ex:chr and unclear have no TLP 2.0 meaning); ignored", clip(level))
}

// strictest returns the most restricted of ts.
func strictest(ts []intel.TLP) (intel.TLP, bool) {
	if len(ts) == 0 {
		return "", false
	}
	best := ts[0]
	for _, t := range ts[1:] {
		if t.Rank() > best.Rank() {
			best = t
		}
	}
	return best, true
}

// galaxies turns Galaxy[].GalaxyCluster[] into misp-galaxy:<type>="<value>".
func galaxies(raw json.RawMessage, where string, skip func(string, string, ...any)) []string {
	gs, err := list(raw)
	if err != nil {
		skip(where, "%v", err)
		return nil
	}
	var out []string
	for i, g := range gs {
		w := fmt.Sprintf("%s[%d]", where, i)
		gm, err := object(g)
		if err != nil {
			skip(w, "%v", err)
			continue
		}
		gtype, _ := str(gm["type"])
		cs, err := list(gm["GalaxyCluster"])
		if err != nil {
			skip(w+".GalaxyCluster", "%v", err)
			continue
		}
		for j, c := range cs {
			cw := fmt.Sprintf("%s.GalaxyCluster[%d]", w, j)
			cm, err := object(c)
			if err != nil {
				skip(cw, "%v", err)
				continue
			}
			ctype, _ := str(cm["type"])
			if strings.TrimSpace(ctype) == "" {
				ctype = gtype
			}
			value, _ := str(cm["value"])
			tag, err := intel.ParseTag(`misp-galaxy:` + strings.TrimSpace(ctype) + `="` + strings.TrimSpace(value) + `"`)
			if err != nil {
				skip(cw, "galaxy cluster type %q value %q: %v", clip(ctype), clip(value), err)
				continue
			}
			out = append(out, tag)
		}
	}
	return out
}

// dedupe drops tags equal to an earlier one ignoring case, as intel does.
func dedupe(tags []string) []string {
	seen := make(map[string]bool, len(tags))
	out := tags[:0:0]
	for _, t := range tags {
		k := strings.ToLower(t)
		if !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	return out
}
