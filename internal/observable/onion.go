package observable

import (
	"crypto/sha3"
	"strconv"
	"strings"
)

// Onion service address sizes (Tor rend-spec-v3, "Encoding onion addresses").
const (
	onionV3Len  = 56 // base32 characters
	onionV2Len  = 16
	onionSuffix = ".onion"
)

// parseOnionType parses a v3 onion service address. Subdomain labels before
// the address are dropped; the ".onion" suffix may be left out.
func parseOnionType(s string) (Observable, string) {
	if strings.ContainsAny(s, "/:?#") {
		return Observable{}, "has a port or path: use type url for those"
	}
	name := strings.TrimSuffix(toLowerASCII(s), ".")
	addr := name
	if base, ok := strings.CutSuffix(name, onionSuffix); ok {
		sub := ""
		if i := strings.LastIndexByte(base, '.'); i >= 0 {
			sub, addr = base[:i], base[i+1:]
		} else {
			addr = base
		}
		if reason := checkOnionSubdomains(sub); reason != "" {
			return Observable{}, reason
		}
	} else if strings.IndexByte(name, '.') >= 0 {
		return Observable{}, "does not end in \".onion\""
	}
	if reason := checkOnionV3(addr); reason != "" {
		return Observable{}, reason
	}
	return Observable{Type: Onion, Value: addr + onionSuffix}, ""
}

// isOnionName reports whether host ends in ".onion" (any case, with or
// without a trailing dot).
func isOnionName(host string) bool {
	h := strings.TrimSuffix(host, ".")
	return len(h) >= len(onionSuffix) && hasPrefixFold(h[len(h)-len(onionSuffix):], onionSuffix)
}

// canonicalOnionHost canonicalizes an onion host in a URL. Unlike type onion,
// subdomain labels are kept: the service sees them.
func canonicalOnionHost(host string) (string, string) {
	name := strings.TrimSuffix(toLowerASCII(host), ".")
	base := name[:len(name)-len(onionSuffix)]
	sub, addr := "", base
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		sub, addr = base[:i], base[i+1:]
	}
	if reason := checkOnionSubdomains(sub); reason != "" {
		return "", "host " + reason
	}
	if reason := checkOnionV3(addr); reason != "" {
		return "", "host " + reason
	}
	return name, ""
}

// checkOnionSubdomains checks the labels before an onion address, if any.
func checkOnionSubdomains(sub string) string {
	if sub == "" {
		return ""
	}
	for _, label := range strings.Split(sub, ".") {
		if label == "" {
			return "has an empty label"
		}
		if len(label) > maxLabelLen {
			return "label " + strconv.Quote(truncate(label, 20)) + " is longer than 63 bytes"
		}
		for i := 0; i < len(label); i++ {
			if !isLDH(label[i]) {
				return notAllowed(label[i:], "an onion address")
			}
		}
	}
	return ""
}

// checkOnionV3 checks a lowercase v3 onion address without suffix: 56 base32
// characters decoding to pubkey (32) | checksum (2) | version (1), with
// version 3 and checksum = SHA3-256(".onion checksum" | pubkey | version)[:2].
func checkOnionV3(addr string) string {
	switch len(addr) {
	case onionV3Len:
	case onionV2Len:
		return "v2 onion addresses are obsolete"
	default:
		return "a v3 onion address has 56 characters, not " + strconv.Itoa(len(addr))
	}
	var raw [35]byte
	var acc uint64
	bits, n := 0, 0
	for i := 0; i < len(addr); i++ {
		v, ok := base32Value(addr[i])
		if !ok {
			return notAllowed(addr[i:], "an onion address (base32: a-z, 2-7)")
		}
		acc = acc<<5 | uint64(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			raw[n] = byte(acc >> bits)
			n++
		}
	}
	pubkey, checksum, version := raw[:32], raw[32:34], raw[34]
	if version != 3 {
		return "unsupported onion address version " + strconv.Itoa(int(version))
	}
	var in [15 + 32 + 1]byte
	copy(in[:], ".onion checksum")
	copy(in[15:], pubkey)
	in[47] = version
	sum := sha3.Sum256(in[:])
	if sum[0] != checksum[0] || sum[1] != checksum[1] {
		return "checksum does not match"
	}
	return ""
}

// base32Value decodes one character of the lowercase RFC 4648 base32 alphabet.
func base32Value(c byte) (byte, bool) {
	switch {
	case 'a' <= c && c <= 'z':
		return c - 'a', true
	case '2' <= c && c <= '7':
		return c - '2' + 26, true
	}
	return 0, false
}
