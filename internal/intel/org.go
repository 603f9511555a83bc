package intel

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Org is a member organization of the hub.
type Org struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Country string `json:"country"`
	Sector  Sector `json:"sector"`
	// Operator marks the organization that runs the hub: its admins see the
	// whole evidence log.
	Operator bool      `json:"operator,omitempty"`
	Created  time.Time `json:"created"`
}

// Sector is the kind of organization.
type Sector string

// The sectors fusion knows.
var Sectors = []Sector{"police", "cert", "bank", "telco", "airline", "vendor", "other"}

// Group is a sharing group. Its membership is visible only to its members.
type Group struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Owner   string    `json:"owner"`
	Members []string  `json:"members"`
	Created time.Time `json:"created"`
}

// Role is what an API token may do; it never widens what its organization may see.
type Role string

// The token roles.
const (
	RoleAdmin   Role = "admin"
	RoleAnalyst Role = "analyst"
	RoleReader  Role = "reader"
	RoleSensor  Role = "sensor"
	// RolePartner is the token of a partner hub (federation): it reads only
	// through TAXII, and only what may leave the hub (policy.Forward).
	RolePartner Role = "partner"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleReader, RoleSensor, RolePartner}

// ParseRole checks that s names a role.
func ParseRole(s string) (Role, error) {
	if slices.Contains(Roles, Role(s)) {
		return Role(s), nil
	}
	return "", fieldErr("role", s, "not a role (admin, analyst, reader, sensor, partner)")
}

// Token is an API token as stored: only the SHA-256 of its secret is kept.
type Token struct {
	ID       string     `json:"id"`
	Org      string     `json:"org"`
	Role     Role       `json:"role"`
	Name     string     `json:"name,omitempty"`
	Created  time.Time  `json:"created"`
	Revoked  *time.Time `json:"revoked,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$`)

// CheckID validates an organization or group id: 2 to 64 lowercase letters,
// digits and inner hyphens, chosen by the operator ("nl-ncsc", "bank-alpha").
func CheckID(field, id string) error {
	if !idPattern.MatchString(id) {
		return fieldErr(field, id, "must be 2 to 64 lowercase letters, digits and inner hyphens")
	}
	return nil
}

// NewOrg validates an organization.
func NewOrg(id, name, country, sector string) (Org, error) {
	o := Org{ID: id, Name: strings.TrimSpace(name), Country: strings.ToUpper(strings.TrimSpace(country)), Sector: Sector(strings.ToLower(strings.TrimSpace(sector)))}
	if err := CheckID("id", o.ID); err != nil {
		return Org{}, err
	}
	if o.Name == "" || len(o.Name) > maxShortText {
		return Org{}, fieldErr("name", name, "must be 1 to 256 bytes")
	}
	if !IsCountry(o.Country) {
		return Org{}, fieldErr("country", country, "not an ISO 3166-1 alpha-2 country code")
	}
	if !slices.Contains(Sectors, o.Sector) {
		return Org{}, fieldErr("sector", sector, "not a sector (police, cert, bank, telco, airline, vendor, other)")
	}
	return o, nil
}

// NewGroup validates a sharing group owned by owner.
func NewGroup(id, name, owner string) (Group, error) {
	g := Group{ID: id, Name: strings.TrimSpace(name), Owner: owner}
	if err := CheckID("id", g.ID); err != nil {
		return Group{}, err
	}
	if g.Name == "" || len(g.Name) > maxShortText {
		return Group{}, fieldErr("name", name, "must be 1 to 256 bytes")
	}
	return g, nil
}

// countries holds the officially assigned ISO 3166-1 alpha-2 codes.
const countries = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

// IsCountry reports whether cc is an ISO 3166-1 alpha-2 code.
func IsCountry(cc string) bool {
	if len(cc) != 2 {
		return false
	}
	i := strings.Index(countries, cc)
	return i >= 0 && i%3 == 0
}

func itoa(i int) string { return strconv.Itoa(i) }
