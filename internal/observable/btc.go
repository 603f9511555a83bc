package observable

import (
	"errors"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
)

// Base58check version bytes of Bitcoin addresses.
const (
	versionP2PKH        = 0x00
	versionP2SH         = 0x05
	versionTestnetP2PKH = 0x6f
	versionTestnetP2SH  = 0xc4
)

// base58Alphabet is Bitcoin's base58 alphabet: no 0, O, I or l.
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// parseBTC validates a mainnet Bitcoin address: base58check P2PKH or P2SH,
// kept as given, or a bech32 (witness v0) or bech32m (v1 to v16) segwit
// address, lowercased.
func parseBTC(s string) (Observable, string) {
	if hasPrefixFold(s, "bc1") || hasPrefixFold(s, "tb1") || hasPrefixFold(s, "bcrt1") {
		return parseSegwit(s)
	}
	return parseBase58Address(s)
}

// parseBase58Address validates a base58check P2PKH or P2SH address.
func parseBase58Address(s string) (Observable, string) {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(base58Alphabet, s[i]) < 0 {
			return Observable{}, notAllowed(s[i:], "a base58 address")
		}
	}
	if len(s) < 26 || len(s) > 35 {
		return Observable{}, "a base58 address has 26 to 35 characters, not " + strconv.Itoa(len(s))
	}
	payload, version, err := base58.CheckDecode(s)
	if err != nil {
		if errors.Is(err, base58.ErrChecksum) {
			return Observable{}, "checksum does not match"
		}
		return Observable{}, "is not valid base58check"
	}
	switch version {
	case versionP2PKH, versionP2SH:
	case versionTestnetP2PKH, versionTestnetP2SH:
		return Observable{}, "testnet addresses are not accepted"
	default:
		return Observable{}, "unknown address version 0x" + strconv.FormatUint(uint64(version), 16)
	}
	if len(payload) != 20 {
		return Observable{}, "payload is " + strconv.Itoa(len(payload)) + " bytes, an address has 20"
	}
	return Observable{Type: BTC, Value: s}, ""
}

// parseSegwit validates a segwit address (BIP-173, BIP-350) with the "bc"
// human-readable part.
func parseSegwit(s string) (Observable, string) {
	if hasPrefixFold(s, "tb1") || hasPrefixFold(s, "bcrt1") {
		return Observable{}, "testnet addresses are not accepted"
	}
	if hasUpper, hasLower := caseMix(s); hasUpper && hasLower {
		return Observable{}, "mixes upper and lower case"
	}
	if len(s) > 90 {
		return Observable{}, "a segwit address has at most 90 characters"
	}
	hrp, data, enc, err := bech32.DecodeGeneric(s)
	if err != nil {
		return Observable{}, bech32Reason(err)
	}
	if hrp != "bc" {
		return Observable{}, "unknown human-readable part " + strconv.Quote(hrp)
	}
	if len(data) == 0 {
		return Observable{}, "has an empty data section"
	}
	witver := data[0]
	if witver > 16 {
		return Observable{}, "witness version " + strconv.Itoa(int(witver)) + " is out of range (0 to 16)"
	}
	program, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return Observable{}, "has invalid padding"
	}
	if len(program) < 2 || len(program) > 40 {
		return Observable{}, "witness program is " + strconv.Itoa(len(program)) + " bytes, not 2 to 40"
	}
	if witver == 0 && len(program) != 20 && len(program) != 32 {
		return Observable{}, "witness v0 program is " + strconv.Itoa(len(program)) + " bytes, not 20 or 32"
	}
	switch {
	case witver == 0 && enc != bech32.Version0:
		return Observable{}, "witness v0 must use bech32, not bech32m"
	case witver != 0 && enc != bech32.VersionM:
		return Observable{}, "witness v" + strconv.Itoa(int(witver)) + " must use bech32m, not bech32"
	}
	return Observable{Type: BTC, Value: toLowerASCII(s)}, ""
}

// bech32Reason turns a bech32 decoding error into a reason.
func bech32Reason(err error) string {
	var cs bech32.ErrInvalidChecksum
	var ch bech32.ErrInvalidCharacter
	var ds bech32.ErrNonCharsetChar
	switch {
	case errors.As(err, &cs):
		return "checksum does not match"
	case errors.As(err, &ch), errors.As(err, &ds):
		return "contains a character that is not allowed in bech32"
	}
	return "is not valid bech32"
}

// caseMix reports whether s has ASCII upper and lower case letters.
func caseMix(s string) (hasUpper, hasLower bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		hasUpper = hasUpper || 'A' <= c && c <= 'Z'
		hasLower = hasLower || 'a' <= c && c <= 'z'
	}
	return hasUpper, hasLower
}
