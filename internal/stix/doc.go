// Package stix speaks STIX 2.1: its patterning language (section 9), the
// export of records, reports, organizations, sightings and feedback as
// STIX objects, and the import of bundles from any producer.
//
// # Patterns
//
// Parse reads a pattern into an AST (Pattern) by the grammar of the
// specification (STIXPattern.g4): observation expressions in brackets joined
// by AND, OR and FOLLOWEDBY, parentheses, the WITHIN, REPEATS and START/STOP
// qualifiers, object paths with quoted keys and list indexes, every
// comparison operator and every literal kind. Errors are *SyntaxError values
// naming the byte offset, the token found and what was expected.
// Pattern.String writes a pattern back; parsing what it writes gives the same
// pattern.
//
// Values decides whether a pattern is a set of indicator values fusion can
// keep as records (one property of one object type compared with "=" or IN,
// joined only by OR) and returns them as (observable type, value) pairs;
// anything else is refused with a *RefusalError giving the reason.
// PatternFor goes the other way, from a canonical fusion observable to the
// pattern that names it. docs/stix.md explains the subset.
//
// # Export and import
//
// ForRecord maps a record to its indicator, observable and based-on
// relationship; ForReport, IdentityFor and TLPMarking map a report, an
// organization and a TLP level; NewBundle puts them in one bundle with the
// markings and the fusion extension-definition they use, listing what it
// skipped and why (redacted records, types with no STIX observable).
// Ids are deterministic UUIDv5. Bundle.Check holds a bundle to the rules
// the JSON schemas cannot express.
//
// ForSighting and ForFeedback map an organization's sightings of a record
// (SightingInput) and its feedback on it (FeedbackInput) to a sighting and
// a note on the record's indicator, for the hub that originated the record.
// The hub decides, by policy.Observer, whether the observer is anonymous to
// the recipient; if so it is written nowhere in the object (no
// where_sighted_refs, authors or note text; created_by_ref is fusion's
// identity; the sighting's id is keyed by a secret of the hub).
//
// ImportBundle goes the other way for a bundle from any producer: per
// object, the intel.RecordInput values, the report input, the sighting of
// an indicator (ImportedSighting) or the note on indicators (ImportedNote)
// it becomes, or why it is skipped (docs/stix.md has the mapping).
//
// SPEC: https://docs.oasis-open.org/cti/stix/v2.1/os/stix-v2.1-os.html#_e8slinrhxcc9
//
// The package imports nothing of fusion but internal/observable,
// internal/intel and internal/jsonscan (the bundle envelope is split with it).
package stix
