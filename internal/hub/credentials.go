package hub

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// TokenFromAuthorization returns the API token an HTTP Authorization
// header carries: "Bearer T", "Token T", or HTTP Basic with the token as
// the password (or as the user name, as some clients put it). With bare,
// a header of one word is the token itself, as MISP's feed settings send
// custom headers. Errors wrap ErrUnauthenticated and say what was wrong.
func TokenFromAuthorization(header string, bare bool) (string, error) {
	header = strings.TrimSpace(header)
	scheme, rest, found := strings.Cut(header, " ")
	if bare && !found && header != "" {
		return header, nil
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "bearer", "token":
		return rest, nil
	case "basic":
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", fmt.Errorf("%w: Authorization: Basic credentials are not base64", ErrUnauthenticated)
		}
		user, pass, _ := strings.Cut(string(b), ":")
		if pass == "" {
			pass = user
		}
		return pass, nil
	case "":
		return "", fmt.Errorf("%w: no Authorization header (Bearer, Token or Basic with the token as password)", ErrUnauthenticated)
	}
	return "", fmt.Errorf("%w: Authorization scheme %q is not Bearer, Token or Basic", ErrUnauthenticated, scheme)
}
