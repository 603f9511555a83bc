package intel

import (
	"regexp"
	"slices"
	"time"
	"unicode/utf8"
)

// User is a person who signs in to the hub's web UI. A user acts for one
// organization with one role, exactly as an API token of that organization
// and role would; the role is never partner or sensor, which are roles of
// machines.
type User struct {
	ID    string `json:"id"`
	Org   string `json:"org"`
	Login string `json:"login"`
	Name  string `json:"name"`
	Role  Role   `json:"role"`
	// Disabled users cannot sign in and have no sessions.
	Disabled bool `json:"disabled,omitempty"`
	// TOTP is set when the user has confirmed a TOTP second factor, which
	// every sign-in then needs.
	TOTP    bool      `json:"totp,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// UserRoles are the roles a person may hold.
var UserRoles = []Role{RoleAdmin, RoleAnalyst, RoleReader}

// ParseUserRole checks that s names a role a person may hold.
func ParseUserRole(s string) (Role, error) {
	if slices.Contains(UserRoles, Role(s)) {
		return Role(s), nil
	}
	return "", fieldErr("role", s, "not a role a person may hold (admin, analyst, reader)")
}

var loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$`)

// CheckLogin validates a login name: 3 to 64 characters, lowercase ASCII
// letters, digits, dots, underscores and hyphens, starting and ending with
// a letter or digit. Login names are unique per hub.
func CheckLogin(login string) error {
	if !loginPattern.MatchString(login) {
		return fieldErr("login", login, "3 to 64 lowercase letters, digits, '.', '_' or '-', starting and ending with a letter or digit")
	}
	return nil
}

// CheckUserName validates a user's display name: 1 to 256 bytes of UTF-8.
func CheckUserName(name string) error {
	if name == "" || len(name) > 256 || !utf8.ValidString(name) {
		return fieldErr("name", name, "1 to 256 bytes of UTF-8")
	}
	return nil
}
