package screen

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Vars are the names a rule's expression may use: the booking's fields
// and the figures derived from them when it is screened. Distances are in
// kilometres between country centres and airport reference points, -1 when
// a country or airport is not in the tables; counts include the booking.
type Vars struct {
	ID                 string  `expr:"id"`
	Origin             string  `expr:"origin"`
	Destination        string  `expr:"destination"`
	OriginCountry      string  `expr:"origin_country"`
	DestinationCountry string  `expr:"destination_country"`
	CardBIN            string  `expr:"card_bin"`
	BINCountry         string  `expr:"bin_country"`
	IPCountry          string  `expr:"ip_country"`
	Amount             float64 `expr:"amount"`
	Currency           string  `expr:"currency"`
	Channel            string  `expr:"channel"`
	Airline            string  `expr:"airline"`
	HasDevice          bool    `expr:"has_device"`

	// LeadHours is the time from booking to departure, in hours.
	LeadHours float64 `expr:"lead_hours"`
	// IPBINKm is the distance from the client address's country to the
	// card's BIN country; IPOriginKm and IPDestinationKm from the client
	// address's country to the airports; IPFarKm the least of the three
	// (-1 when any is unknown).
	IPBINKm         float64 `expr:"ip_bin_km"`
	IPOriginKm      float64 `expr:"ip_origin_km"`
	IPDestinationKm float64 `expr:"ip_destination_km"`
	IPFarKm         float64 `expr:"ip_far_km"`
	// IPForeign: the client address's country is neither the BIN country
	// nor either airport's.
	IPForeign bool `expr:"ip_foreign"`
	// ThirdParty: the cardholder is not the traveller.
	ThirdParty bool `expr:"third_party"`
	// BookerTravellers and CardTravellers count the distinct travellers
	// the booking account and the card have booked for so far;
	// CardAirlines the distinct airlines the card has paid; CardHolders
	// the distinct cardholder names given with the card.
	BookerTravellers int `expr:"booker_travellers"`
	CardTravellers   int `expr:"card_travellers"`
	CardAirlines     int `expr:"card_airlines"`
	CardHolders      int `expr:"card_holders"`
}

// Rule is one criterion: a boolean expression over [Vars], the score it
// adds when true and the reason shown to people.
type Rule struct {
	ID     string  `json:"id"`
	Expr   string  `json:"expr"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

// Package is a set of rules shared as one object: an id, a version that
// grows with each revision, a name for people, the rules, and the
// threshold a booking's score (its rules' scores plus its ring's) must
// reach to be flagged.
type Package struct {
	ID        string  `json:"id"`
	Version   int     `json:"version"`
	Name      string  `json:"name"`
	Threshold float64 `json:"threshold"`
	Rules     []Rule  `json:"rules"`
}

// MaxRules bounds a package's rules (a fired set is a 64-bit mask).
const MaxRules = 64

// MaxExpr bounds a rule's expression, in bytes.
const MaxExpr = 4096

//go:embed default.json
var defaultJSON []byte

// Default returns the built-in package, from the criteria published for
// the airline action days.
func Default() *Package {
	p, err := ParsePackage(defaultJSON)
	if err != nil {
		panic("screen: default package: " + err.Error())
	}
	return p
}

var ruleID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// ParsePackage reads a package from JSON, strictly: unknown members are
// refused, and so is anything Compile would refuse.
func ParsePackage(data []byte) (*Package, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Package
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("rule package: %w", err)
	}
	if dec.More() {
		return nil, errors.New("rule package: text after the object")
	}
	if _, err := Compile(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Compiled is a package ready to run.
type Compiled struct {
	Package *Package
	progs   []*vm.Program
}

// Compile checks a package and compiles each rule's expression once. A
// rule that does not compile is refused with its id, the expression's line
// and column (1-based) and the reason: `rule "lead": line 1, column 12:
// unknown name depart`.
func Compile(p *Package) (*Compiled, error) {
	if !ruleID.MatchString(p.ID) {
		return nil, &PackageError{Field: "id", Msg: fmt.Sprintf("rule package: id %q: want 1 to 64 lowercase letters, digits or hyphens", p.ID)}
	}
	if p.Version < 1 {
		return nil, &PackageError{Field: "version", Msg: fmt.Sprintf("rule package %s: version %d: want 1 or more", p.ID, p.Version)}
	}
	if len(p.Rules) == 0 || len(p.Rules) > MaxRules {
		return nil, &PackageError{Field: "rules", Msg: fmt.Sprintf("rule package %s: %d rules: want 1 to %d", p.ID, len(p.Rules), MaxRules)}
	}
	if math.IsNaN(p.Threshold) || p.Threshold <= 0 || p.Threshold > 100 {
		return nil, &PackageError{Field: "threshold", Msg: fmt.Sprintf("rule package %s: threshold %v: want more than 0 and at most 100", p.ID, p.Threshold)}
	}
	c := &Compiled{Package: p}
	seen := map[string]bool{}
	for i, r := range p.Rules {
		refuse := func(field, msg string) (*Compiled, error) {
			return nil, &RuleError{Index: i, Rule: r.ID, Field: field, Msg: msg}
		}
		if !ruleID.MatchString(r.ID) {
			return refuse("id", "id: want 1 to 64 lowercase letters, digits or hyphens")
		}
		if seen[r.ID] {
			return refuse("id", "id given twice")
		}
		seen[r.ID] = true
		if math.IsNaN(r.Score) || r.Score < -100 || r.Score > 100 {
			return refuse("score", fmt.Sprintf("score %v: want -100 to 100", r.Score))
		}
		if r.Reason == "" {
			return refuse("reason", "reason: empty")
		}
		if len(r.Expr) > MaxExpr {
			return refuse("expr", fmt.Sprintf("expression of %d bytes: at most %d", len(r.Expr), MaxExpr))
		}
		prog, line, col, err := compileExpr(r.Expr)
		if err != nil {
			return nil, &RuleError{Index: i, Rule: r.ID, Field: "expr", Line: line, Column: col, Msg: err.Error()}
		}
		c.progs = append(c.progs, prog)
	}
	return c, nil
}

// PackageError is a package refused as a whole: Field names the member
// (id, version, rules, threshold).
type PackageError struct {
	Field string
	Msg   string
}

func (e *PackageError) Error() string { return e.Msg }

// RuleError is a rule refused by Compile: the rule's index in the
// package's rules and its id, the member at fault (id, score, reason,
// expr) and, for an expression that does not compile, the 1-based line
// and column the compiler named (0 when it named none). Its text is
// `rule "lead": line 1, column 12: unknown name depart`.
type RuleError struct {
	Index        int
	Rule         string
	Field        string
	Line, Column int
	Msg          string
}

func (e *RuleError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("rule %q: line %d, column %d: %s", e.Rule, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("rule %q: %s", e.Rule, e.Msg)
}

// compileExpr compiles one boolean expression over Vars; an error comes
// with the 1-based line and column the compiler named (0, 0 when none).
// expr's compiler is defensive, but a panic in it is turned into an error
// rather than taking the caller down.
func compileExpr(src string) (prog *vm.Program, line, col int, err error) {
	defer func() {
		if x := recover(); x != nil {
			prog, line, col, err = nil, 0, 0, fmt.Errorf("expression refused: %v", x)
		}
	}()
	prog, err = expr.Compile(src, expr.Env(Vars{}), expr.AsBool())
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, fe.Line, fe.Column + 1, errors.New(fe.Message)
		}
		return nil, 0, 0, err
	}
	return prog, 0, 0, nil
}
