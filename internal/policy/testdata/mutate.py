# Mutation check of the policy gate: removes one rule at a time and runs the
# policy tests and the authorization harness (SQLite); every mutation must be
# caught. Run from anywhere: python3 internal/policy/testdata/mutate.py
import subprocess, sys, os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
muts = [
 ("amber: audience groups do not count", "internal/policy/policy.go", "		visible = byOrg || byGroup\n		inAudience = visible", "		visible = byOrg\n		inAudience = visible"),
 ("red and amber+strict: groups count", "internal/policy/policy.go", "		visible, inAudience = byOrg, byOrg", "		visible, inAudience = byOrg || byGroup, byOrg || byGroup"),
 ("personal records not redacted", "internal/policy/policy.go", "	case s.Personal && !inAudience:\n		return Redacted\n", ""),
 ("outsiders see every audience group", "internal/policy/policy.go", "		if c.InGroup(g) {", "		if true {"),
 ("history shown in the current form only", "internal/policy/policy.go", "	f := min(fc, fo)", "	f := fc"),
 ("hit entries shown to the asker", "internal/policy/entries.go", "var hiddenFromActor = map[evidence.Action]bool{evidence.Hit: true, evidence.AccessRequest: true}", "var hiddenFromActor = map[evidence.Action]bool{evidence.AccessRequest: true}"),
 ("access-request entries shown to the requester", "internal/policy/entries.go", "var hiddenFromActor = map[evidence.Action]bool{evidence.Hit: true, evidence.AccessRequest: true}", "var hiddenFromActor = map[evidence.Action]bool{evidence.Hit: true}"),
 ("owners do not see entries about their objects", "internal/policy/entries.go", "	if slices.Contains(l.Owners(), c.Org) {\n		return true\n	}\n", ""),
 ("the operator does not see every entry", "internal/policy/entries.go", "	if Can(c, OperateHub) {\n		return true\n	}\n", ""),
 ("anonymous observers named", "internal/policy/matching.go", "	case anonymous:\n		return Anonymous\n", ""),
 ("requester sees the record before approval", "internal/policy/matching.go", "		return true, status == \"approved\"", "		return true, true"),
 ("third parties see access requests", "internal/policy/matching.go", "	case c.Org == requester:\n		return true, status == \"approved\"\n	}\n	return false, false", "	case c.Org == requester:\n		return true, status == \"approved\"\n	}\n	return true, false"),
 ("anyone decides an access request", "internal/policy/matching.go", "	if c.Org != owner {\n		return fmt.Errorf(\"access request %q: %w\", id, intel.ErrNotFound)\n	}", "	if false {\n		return fmt.Errorf(\"access request %q: %w\", id, intel.ErrNotFound)\n	}"),
 ("own sightings of records no longer visible", "internal/policy/matching.go", "	return form == Full\n}", "	return form != Hidden || true\n}"),
 ("non-originators change records", "internal/policy/ownership.go", "	case c.Org != s.Originator:\n		return fmt.Errorf(\"%w: only the originator %s may change %s %s\", intel.ErrForbidden, s.Originator, kind, id)", "	case false:\n		return nil"),
 ("every group visible", "internal/policy/ownership.go", "func Group(c *Caller, id string) bool { return c != nil && c.InGroup(id) }", "func Group(c *Caller, id string) bool { return c != nil }"),
 ("reports group others' records", "internal/policy/ownership.go", "func Originates(c *Caller, originator string) bool { return c != nil && c.Org != \"\" && c.Org == originator }", "func Originates(c *Caller, originator string) bool { return c != nil }"),
 ("count includes hidden objects", "internal/policy/matching.go", "func Count(c *Caller, s Shared) bool { return Decide(c, s) != Hidden }", "func Count(c *Caller, s Shared) bool { return true }"),
 ("value search finds redacted records", "internal/policy/policy.go", "		return !byValue && redactedTextMatched", "		return redactedTextMatched"),
 ("text search finds redacted records by hidden text", "internal/policy/policy.go", "		return !byValue && redactedTextMatched", "		return !byValue"),
 ("H2 records forwarded", "internal/policy/forward.go", "	case slices.Contains(r.Handling.Codes, intel.H2):\n		return intel.Record{}, false\n", ""),
 ("amber forwarded to group members", "internal/policy/forward.go", "		if r.Audience.HasOrg(partner.Org) {", "		if true {"),
]
pkgs = ["./internal/policy", "./internal/hub"]  # run from the repository root: python3 internal/policy/testdata/mutate.py
results = []
for name, path, old, new in muts:
    src = open(path).read()
    if old not in src:
        results.append((name, "PATTERN NOT FOUND")); continue
    open(path, 'w').write(src.replace(old, new, 1))
    try:
        r = subprocess.run(["go", "test", "-count=1", "-run", "TestAuthorizationProperty$|TestDecide|TestEntry|TestCountAndForward|TestForwardTable|TestRoles|TestObserver", *pkgs], capture_output=True, text=True, timeout=600)
        caught = r.returncode != 0
        detail = ""
        for line in r.stdout.splitlines():
            if "LEAK" in line or "miss" in line or "want" in line or "model" in line:
                detail = line.strip()[:160]; break
        results.append((name, "caught" if caught else "NOT CAUGHT", detail))
    finally:
        open(path, 'w').write(src)
    print(results[-1], flush=True)
