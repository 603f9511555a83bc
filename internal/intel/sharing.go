package intel

// Sharing validates and normalizes the sharing terms of an object shared
// like a record — a rule package, say: tlp is required (ParseTLP), the
// audience is checked for shape only (whether its organizations and groups
// exist is the caller's business) and the handling codes as a record's
// are, with H2 following a red TLP. Errors are *FieldError naming tlp,
// audience or handling.
func Sharing(tlp string, aud *Audience, h *Handling) (TLP, Audience, Handling, error) {
	if tlp == "" {
		return "", Audience{}, Handling{}, fieldErr("tlp", "", "is required")
	}
	var (
		t TLP
		a Audience
		n Handling
	)
	if err := applySharing(&t, &a, &n, &tlp, aud, h); err != nil {
		return "", Audience{}, Handling{}, err
	}
	return t, a, n, nil
}
