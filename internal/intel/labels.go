package intel

import (
	"slices"
	"strings"
)

// Label is a term of the record vocabulary, documented in docs/labels.md.
type Label struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Labels is the controlled vocabulary for records. It is deliberately small:
// partners in different countries must mean the same thing by each term.
var Labels = []Label{
	{"phishing", "a site, message or address used to steal credentials or payment data"},
	{"phishing-kit", "infrastructure produced by a phishing kit or phishing-as-a-service"},
	{"botnet-c2", "command-and-control server or channel of a botnet or remote-access tool"},
	{"malware-distribution", "a place malware is downloaded from"},
	{"malware", "a malicious file or sample"},
	{"ransomware", "related to a ransomware operation: sample, leak site, payment wallet"},
	{"tor-exit", "a Tor exit relay; traffic from it is not from its operator"},
	{"anonymizer", "a VPN, proxy or other service hiding the true origin of traffic"},
	{"sms-pumping", "a number range or client abused to inflate SMS traffic (artificially inflated traffic)"},
	{"card-fraud", "a card, BIN or merchant involved in card-not-present fraud"},
	{"money-mule", "an account, wallet or person used to move proceeds of crime"},
	{"scam", "an investment, romance, support or other fraud scheme"},
	{"bulletproof-hosting", "a hosting provider that ignores abuse reports"},
	{"spam", "a source of unsolicited bulk messages"},
	{"ddos", "a source or booter service of denial-of-service attacks"},
	{"scanning", "an address scanning or brute-forcing networks"},
	{"exploitation", "an address exploiting vulnerabilities"},
	{"data-leak", "a place where stolen data is published or sold"},
	{"csam", "child sexual abuse material: handle under national law, never preview"},
}

// IsLabel reports whether name is in the vocabulary.
func IsLabel(name string) bool {
	return slices.ContainsFunc(Labels, func(l Label) bool { return l.Name == name })
}

func normalizeLabels(in []string) ([]string, error) {
	if len(in) > maxLabels {
		return nil, fieldErr("labels", "", "too many labels")
	}
	out := make([]string, 0, len(in))
	for _, l := range in {
		n := strings.ToLower(strings.TrimSpace(l))
		if !IsLabel(n) {
			return nil, fieldErr("labels", l, "not in the label vocabulary (see GET /api/v1/vocabulary)")
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
