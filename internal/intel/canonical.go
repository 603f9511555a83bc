package intel

import "fusion/internal/canonical"

// MarshalCanonical returns r as RFC 8785 canonical JSON: what json.Marshal
// writes, reprinted by a JCS implementation, without the cost of that route.
// Members are written in code-point order of their names; a test fails when
// Record gains a field this writer does not know.
func (r *Record) MarshalCanonical() []byte {
	b := make([]byte, 0, 640+len(r.Description))
	first := true
	b = append(b, '{')
	b = canonical.Member(b, "audience", &first)
	b = r.Audience.appendCanonical(b)
	if r.BIN != "" {
		b = canonical.String(canonical.Member(b, "bin", &first), r.BIN)
	}
	if r.Carrier != "" {
		b = canonical.String(canonical.Member(b, "carrier", &first), r.Carrier)
	}
	b = canonical.Int(canonical.Member(b, "confidence", &first), int64(r.Confidence))
	b = canonical.Time(canonical.Member(b, "created", &first), r.Created)
	if r.Description != "" {
		b = canonical.String(canonical.Member(b, "description", &first), r.Description)
	}
	b = canonical.Bool(canonical.Member(b, "discoverable", &first), r.Discoverable)
	b = canonical.Member(b, "evaluation", &first)
	b = r.Evaluation.appendCanonical(b)
	if r.FirstSeen != nil {
		b = canonical.Time(canonical.Member(b, "first_seen", &first), *r.FirstSeen)
	}
	b = canonical.Member(b, "handling", &first)
	b = r.Handling.appendCanonical(b)
	b = canonical.String(canonical.Member(b, "id", &first), r.ID)
	b = canonical.Strings(canonical.Member(b, "labels", &first), r.Labels)
	if r.LastSeen != nil {
		b = canonical.Time(canonical.Member(b, "last_seen", &first), *r.LastSeen)
	}
	if r.NumberType != "" {
		b = canonical.String(canonical.Member(b, "number_type", &first), r.NumberType)
	}
	if r.Origin != nil {
		b = canonical.Member(b, "origin", &first)
		o, f := r.Origin, true
		b = append(b, '{')
		b = canonical.String(canonical.Member(b, "hub", &f), o.Hub)
		b = canonical.String(canonical.Member(b, "id", &f), o.ID)
		b = canonical.String(canonical.Member(b, "org", &f), o.Org)
		b = append(b, '}')
	}
	b = canonical.String(canonical.Member(b, "originator", &first), r.Originator)
	b = canonical.Bool(canonical.Member(b, "personal", &first), r.Personal)
	if r.Redacted {
		b = canonical.Bool(canonical.Member(b, "redacted", &first), true)
	}
	if r.Reference != "" {
		b = canonical.String(canonical.Member(b, "reference", &first), r.Reference)
	}
	if r.Region != "" {
		b = canonical.String(canonical.Member(b, "region", &first), r.Region)
	}
	if r.Revoked != nil {
		b = canonical.Time(canonical.Member(b, "revoked", &first), *r.Revoked)
	}
	if r.RevokedReason != "" {
		b = canonical.String(canonical.Member(b, "revoked_reason", &first), r.RevokedReason)
	}
	if r.Subdomains {
		b = canonical.Bool(canonical.Member(b, "subdomains", &first), true)
	}
	if len(r.Tags) > 0 {
		b = canonical.Strings(canonical.Member(b, "tags", &first), r.Tags)
	}
	b = canonical.String(canonical.Member(b, "tlp", &first), string(r.TLP))
	b = canonical.String(canonical.Member(b, "type", &first), string(r.Type))
	b = canonical.Time(canonical.Member(b, "updated", &first), r.Updated)
	if r.ValidUntil != nil {
		b = canonical.Time(canonical.Member(b, "valid_until", &first), *r.ValidUntil)
	}
	if r.Value != "" {
		b = canonical.String(canonical.Member(b, "value", &first), r.Value)
	}
	b = canonical.Int(canonical.Member(b, "version", &first), int64(r.Version))
	if len(r.Warnings) > 0 {
		b = canonical.Strings(canonical.Member(b, "warnings", &first), r.Warnings)
	}
	return append(b, '}')
}

func (a *Audience) appendCanonical(b []byte) []byte {
	first := true
	b = append(b, '{')
	b = canonical.Strings(canonical.Member(b, "groups", &first), a.Groups)
	b = canonical.Strings(canonical.Member(b, "orgs", &first), a.Orgs)
	return append(b, '}')
}

func (h *Handling) appendCanonical(b []byte) []byte {
	first := true
	b = append(b, '{')
	b = canonical.Strings(canonical.Member(b, "codes", &first), h.Codes)
	if h.Conditions != "" {
		b = canonical.String(canonical.Member(b, "conditions", &first), h.Conditions)
	}
	if h.Purpose != "" {
		b = canonical.String(canonical.Member(b, "purpose", &first), h.Purpose)
	}
	return append(b, '}')
}

func (e *Evaluation) appendCanonical(b []byte) []byte {
	first := true
	b = append(b, '{')
	if e.Credibility != 0 {
		b = canonical.Int(canonical.Member(b, "credibility", &first), int64(e.Credibility))
	}
	if e.Reliability != "" {
		b = canonical.String(canonical.Member(b, "reliability", &first), e.Reliability)
	}
	return append(b, '}')
}
