package observable

import (
	"golang.org/x/crypto/sha3"
)

// parseETH validates an Ethereum address: "0x" and 40 hex digits. A
// mixed-case address carries an EIP-55 checksum, which must match; an
// all-lowercase or all-uppercase one carries none. The value is lowercase.
func parseETH(s string) (Observable, string) {
	if len(s) < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return Observable{}, "does not start with \"0x\""
	}
	hexPart := s[2:]
	upper, lower := false, false
	for i := 0; i < len(hexPart); i++ {
		c := hexPart[i]
		switch {
		case isDigit(c):
		case 'a' <= c && c <= 'f':
			lower = true
		case 'A' <= c && c <= 'F':
			upper = true
		default:
			return Observable{}, notAllowed(hexPart[i:], "an Ethereum address")
		}
	}
	if len(hexPart) != 40 {
		return Observable{}, "an Ethereum address has 40 hex digits after \"0x\""
	}
	var b [42]byte
	b[0], b[1] = '0', 'x'
	for i := 0; i < 40; i++ {
		b[2+i] = lowerASCII(hexPart[i])
	}
	if upper && lower && !eip55Valid(hexPart, b[2:]) {
		return Observable{}, "EIP-55 checksum does not match"
	}
	return Observable{Type: ETH, Value: string(b[:])}, ""
}

// eip55Valid checks the EIP-55 mixed-case checksum of addr (40 hex digits)
// against the Keccak-256 of its lowercase form: a letter must be uppercase
// exactly when the matching hash nibble is 8 or more.
func eip55Valid(addr string, lower []byte) bool {
	h := sha3.NewLegacyKeccak256()
	h.Write(lower)
	var sum [32]byte
	h.Sum(sum[:0])
	for i := 0; i < 40; i++ {
		c := addr[i]
		if isDigit(c) {
			continue
		}
		nibble := sum[i/2] >> 4
		if i%2 == 1 {
			nibble = sum[i/2] & 0x0f
		}
		if (nibble >= 8) != ('A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
