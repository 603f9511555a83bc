package intel

import (
	"strings"
	"time"
)

// MaxReportRecords bounds the records one report groups.
const MaxReportRecords = 10000

// Report groups records under a title and its own handling, like a MISP
// event or a STIX report. Seeing a report does not grant sight of its
// records: each is shown only if the policy gate allows it on its own.
type Report struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Labels      []string `json:"labels"`
	Tags        []string `json:"tags,omitempty"`
	TLP         TLP      `json:"tlp"`
	Audience    Audience `json:"audience"`
	Handling    Handling `json:"handling"`
	// Source is where the report came from outside fusion (a MISP event), if anywhere.
	Source *Source `json:"source,omitempty"`
	// Records lists the ids of the grouped records the caller may see.
	Records []string `json:"records"`
	// RecordCount is len(Records): records the caller may not see are not counted.
	RecordCount int `json:"record_count"`

	Originator    string     `json:"originator"`
	Created       time.Time  `json:"created"`
	Updated       time.Time  `json:"updated"`
	Version       int        `json:"version"`
	Revoked       *time.Time `json:"revoked,omitempty"`
	RevokedReason string     `json:"revoked_reason,omitempty"`
}

// ReportInput is a report as submitted.
type ReportInput struct {
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Labels      []string  `json:"labels"`
	Tags        []string  `json:"tags"`
	TLP         string    `json:"tlp"`
	Audience    *Audience `json:"audience"`
	Handling    *Handling `json:"handling"`
	Records     []string  `json:"records"`
	// Source is set by importers (MISP), not by API clients.
	Source *Source `json:"-"`
}

// ReportPatch is a partial update of a report; Records, when given, replaces the list.
type ReportPatch struct {
	Title       *string   `json:"title"`
	Description *string   `json:"description"`
	Labels      *[]string `json:"labels"`
	Tags        *[]string `json:"tags"`
	TLP         *string   `json:"tlp"`
	Audience    *Audience `json:"audience"`
	Handling    *Handling `json:"handling"`
	Records     *[]string `json:"records"`
	// Source, when given, replaces the report's source (importers only).
	Source *Source `json:"-"`
}

// NewReport validates in and returns the report, without id, originator or timestamps.
func NewReport(in ReportInput) (Report, error) {
	if in.TLP == "" {
		return Report{}, fieldErr("tlp", "", "is required")
	}
	if strings.TrimSpace(in.Title) == "" {
		return Report{}, fieldErr("title", "", "is required")
	}
	var r Report
	err := ReportPatch{
		Title: &in.Title, Description: &in.Description, Labels: &in.Labels, Tags: &in.Tags, TLP: &in.TLP,
		Audience: in.Audience, Handling: in.Handling, Records: &in.Records, Source: in.Source,
	}.ApplyTo(&r)
	return r, err
}

// ApplyTo validates the patch and applies it to r; on error r is unchanged.
func (p ReportPatch) ApplyTo(r *Report) error {
	n := *r
	if p.Title != nil {
		n.Title = strings.TrimSpace(*p.Title)
		if n.Title == "" || len(n.Title) > maxShortText {
			return fieldErr("title", "", "must be 1 to 256 bytes")
		}
	}
	if p.Description != nil {
		n.Description = strings.TrimSpace(*p.Description)
		if len(n.Description) > 8*maxText {
			return fieldErr("description", "", "longer than 64 KiB")
		}
	}
	if p.Labels != nil {
		labels, err := normalizeLabels(*p.Labels)
		if err != nil {
			return err
		}
		n.Labels = labels
	}
	if n.Labels == nil {
		n.Labels = []string{}
	}
	if err := applyTags(&n.Tags, p.Tags); err != nil {
		return err
	}
	if err := applySharing(&n.TLP, &n.Audience, &n.Handling, p.TLP, p.Audience, p.Handling); err != nil {
		return err
	}
	if p.Records != nil {
		if len(*p.Records) > MaxReportRecords {
			return fieldErr("records", "", "a report groups at most 10,000 records")
		}
		n.Records = sortedUnique(*p.Records)
	}
	if n.Records == nil {
		n.Records = []string{}
	}
	if p.Source != nil {
		if err := p.Source.Check(); err != nil {
			return err
		}
		n.Source = p.Source
	}
	*r = n
	return nil
}
