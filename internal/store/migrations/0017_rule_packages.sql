-- Rule packages of transaction screening (package screen), shared through
-- the exchange like records: one row per version, never rewritten except
-- to revoke it. id is the hub's (a UUID), version counts from 1; the
-- current version of a package is its highest. audience and handling are
-- canonical JSON of intel.Audience and intel.Handling, body the package's
-- JSON (screen.Package, with the row's id and version). created and
-- revoked are Unix microseconds. Each row's content is hashed in the
-- evidence log (evidence.RulePackageContent): rule-package.create and
-- rule-package.revise log a new row, rule-package.revoke the revoked one.
CREATE TABLE rule_packages (
    id             TEXT NOT NULL,
    version        INTEGER NOT NULL,
    originator     TEXT NOT NULL REFERENCES orgs(id),
    tlp            TEXT NOT NULL,
    audience       TEXT NOT NULL,
    handling       TEXT NOT NULL,
    body           TEXT NOT NULL,
    created        BIGINT NOT NULL,
    revoked        BIGINT,
    revoked_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (id, version)
);
CREATE INDEX rule_packages_originator ON rule_packages(originator);
