package intelgen

import (
	"math/rand/v2"
	"strconv"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"golang.org/x/crypto/sha3"
)

// brand is a fictional organization that phishing kits impersonate; split
// is where its name divides into words, for hyphenated lookalikes.
type brand struct {
	name  string
	split int
}

var brands = []brand{
	{"alphasavings", 5}, {"nordkapbank", 7}, {"azureskies", 5}, {"southwave", 5},
	{"rhineparcel", 5}, {"kantopay", 5}, {"lowlandtax", 7}, {"meridiancard", 8},
	{"hexagonepost", 7}, {"sentinelpay", 8}, {"bluefjordenergy", 9}, {"helvetbank", 6},
}

var (
	// phishWords are what kits add to a brand to make a name look official.
	phishWords = []string{
		"secure-login", "verify-account", "login", "secure", "verify", "account", "update", "support",
		"online", "auth", "confirm", "client", "portal", "billing", "delivery", "refund", "id", "web", "app", "help",
	}
	brandSuffixes = []string{"24", "-app", "online", "-id", "365", "-eu", "pay", "-my"}
	// cheapTLDs are the low-cost top-level domains phishing kits favour.
	cheapTLDs = []string{
		"top", "xyz", "online", "shop", "click", "icu", "buzz", "live", "site", "info",
		"cfd", "sbs", "store", "club", "vip", "bond", "rest", "cyou", "monster", "lol",
	}
	// homoglyphs are ASCII look-alike replacements.
	homoglyphs = map[byte]string{'o': "0", 'l': "1", 'i': "l", 'm': "rn", 'w': "vv", 'd': "cl", 'e': "3", 'a': "4", 'n': "m"}

	// kitPaths are phishing kit paths; "{b}" stands for the brand and
	// "{p}" for a WordPress plugin the kit hides in.
	kitPaths = [][]string{
		{"/wp-content/plugins/", "{p}", "/", "{b}", "/login.php"},
		{"/secure/verify.php"},
		{"/a1/sms.php"},
		{"/", "{b}", "/login/index.php"},
		{"/app/", "{b}", "/card.php"},
		{"/verify/account/step2.php"},
		{"/signin/", "{b}", "/"},
		{"/wp-includes/", "{b}", "/index.html"},
		{"/m/", "{b}", "/otp.php"},
		{"/auth/session/confirm.php"},
		{"/", "{b}", "/billing/update.php"},
	}
	wpPlugins = []string{"akismet", "jetpack", "wp-file-manager", "contact-form-7", "elementor", "wpforms-lite"}

	payloadDirs = []string{"bins", "dl", "files", "x", "update", "tmp", "wp-admin/css", "assets"}
	payloadExts = []string{"x86", "arm7", "mips", "exe", "sh", "dll", "bin", "zip", "msi", "ps1"}
	payloadPort = []string{"", "", "", "", ":8080", ":8000", ":81", ":8443"}

	firstNames = []string{
		"anna", "jan", "maria", "lukas", "sofia", "mateo", "emma", "noah", "ines", "oskar", "lea", "ahmed",
		"yuki", "chen", "priya", "kofi", "olga", "pedro", "sara", "tomas", "elif", "ivan", "nadia", "david",
	}
	lastNames = []string{
		"novak", "garcia", "muller", "rossi", "kowalski", "silva", "jansen", "dubois", "petrov", "yilmaz",
		"tanaka", "wong", "sharma", "mensah", "larsen", "costa", "horvat", "ivanova", "moreau", "berg",
	}
	mailWords = []string{"quickpay", "cashdesk", "transfer", "payout", "jobs", "refunds", "agent", "invest"}
	// webmail are webmail-like hosts under the reserved example domains
	// (RFC 2606): a generated mule address is never a real mailbox.
	webmail = []string{
		"mail.example.com", "inbox.example.net", "post.example.org", "webmail.example.com",
		"box.example.net", "fastpost.example.org", "email.example.com", "mymail.example.net",
	}
)

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// appendLookalike appends a lookalike of brand b: the name itself, or with
// a letter dropped, doubled or swapped, an ASCII homoglyph, a hyphen
// between its words, or a suffix.
func appendLookalike(dst []byte, rng *rand.Rand, b brand) []byte {
	s := b.name
	start := len(dst)
	switch r := rng.IntN(100); {
	case r < 15:
		return append(dst, s...)
	case r < 30: // omission
		i := 1 + rng.IntN(len(s)-2)
		dst = append(dst, s[:i]...)
		return append(dst, s[i+1:]...)
	case r < 42: // repetition
		i := 1 + rng.IntN(len(s)-1)
		dst = append(dst, s[:i]...)
		return append(dst, s[i-1:]...)
	case r < 55: // transposition
		i := 1 + rng.IntN(len(s)-3)
		dst = append(dst, s...)
		dst[start+i], dst[start+i+1] = dst[start+i+1], dst[start+i]
		return dst
	case r < 75: // homoglyph
		off := rng.IntN(len(s))
		for k := range len(s) {
			i := (off + k) % len(s)
			if g, ok := homoglyphs[s[i]]; ok && i > 0 {
				dst = append(dst, s[:i]...)
				dst = append(dst, g...)
				return append(dst, s[i+1:]...)
			}
		}
		return append(dst, s...)
	case r < 88: // hyphenation
		dst = append(dst, s[:b.split]...)
		dst = append(dst, '-')
		return append(dst, s[b.split:]...)
	}
	dst = append(dst, s...)
	return append(dst, pick(rng, brandSuffixes)...)
}

// appendPhishHost appends a phishing host name whose first label ends with
// tok, and returns the brand it imitates.
func appendPhishHost(dst []byte, rng *rand.Rand, tok []byte) ([]byte, string) {
	b := pick(rng, brands)
	switch r := rng.IntN(100); {
	case r < 35: // alphasavlngs-secure-login-k3x9a2b.top
		dst = appendLookalike(dst, rng, b)
		dst = append(dst, '-')
		dst = append(dst, pick(rng, phishWords)...)
		dst = append(dst, '-')
		dst = append(dst, tok...)
	case r < 60: // verify-k3x9a2b.nordkapbank-online.xyz
		dst = append(dst, pick(rng, phishWords)...)
		dst = append(dst, '-')
		dst = append(dst, tok...)
		dst = append(dst, '.')
		dst = appendLookalike(dst, rng, b)
		dst = append(dst, '-')
		dst = append(dst, pick(rng, phishWords)...)
	case r < 85: // k3x9a2b.azureskles.shop
		dst = append(dst, tok...)
		dst = append(dst, '.')
		dst = appendLookalike(dst, rng, b)
	default: // southwave-k3x9a2b.icu
		dst = appendLookalike(dst, rng, b)
		dst = append(dst, '-')
		dst = append(dst, tok...)
	}
	dst = append(dst, '.')
	dst = append(dst, pick(rng, cheapTLDs)...)
	return dst, b.name
}

// appendPhishURL appends a phishing kit URL on a host of its own.
func appendPhishURL(dst []byte, rng *rand.Rand, tok []byte) ([]byte, string) {
	if rng.IntN(100) < 85 {
		dst = append(dst, "https://"...)
	} else {
		dst = append(dst, "http://"...)
	}
	dst, b := appendPhishHost(dst, rng, tok)
	for _, part := range pick(rng, kitPaths) {
		switch part {
		case "{b}":
			dst = append(dst, b...)
		case "{p}":
			dst = append(dst, pick(rng, wpPlugins)...)
		default:
			dst = append(dst, part...)
		}
	}
	switch r := rng.IntN(100); {
	case r < 35:
	case r < 60:
		dst = append(dst, "?session="...)
		dst = appendRandom(dst, rng, hexDigits, 32)
	case r < 75:
		dst = append(dst, "?token="...)
		dst = appendRandom(dst, rng, base36, 24)
		dst = append(dst, "&lang=en"...)
	case r < 85:
		dst = append(dst, "?sid="...)
		dst = appendRandom(dst, rng, hexDigits, 16)
		dst = append(dst, "&step=2"...)
	case r < 93:
		dst = append(dst, "?id="...)
		dst = appendRandom(dst, rng, "0123456789", 8)
	default:
		dst = append(dst, "?ref=sms&c="...)
		dst = appendRandom(dst, rng, base64URL, 12)
	}
	return dst, b
}

const (
	hexDigits = "0123456789abcdef"
	base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

func appendRandom(dst []byte, rng *rand.Rand, alphabet string, n int) []byte {
	for range n {
		dst = append(dst, alphabet[rng.IntN(len(alphabet))])
	}
	return dst
}

// appendPayloadURL appends a malware download URL on a hosting address.
func appendPayloadURL(dst []byte, rng *rand.Rand, h *hosting, tok []byte) []byte {
	dst = append(dst, "http://"...)
	dst = appendIPv4(dst, h.any(rng))
	dst = append(dst, pick(rng, payloadPort)...)
	dst = append(dst, '/')
	dst = append(dst, pick(rng, payloadDirs)...)
	dst = append(dst, '/')
	dst = append(dst, tok...)
	dst = append(dst, '.')
	return append(dst, pick(rng, payloadExts)...)
}

// appendMuleEmail appends a webmail address whose local part ends with tok.
func appendMuleEmail(dst []byte, rng *rand.Rand, tok []byte) []byte {
	switch r := rng.IntN(100); {
	case r < 45: // anna.novak.k3x9a2b
		dst = append(dst, pick(rng, firstNames)...)
		dst = append(dst, '.')
		dst = append(dst, pick(rng, lastNames)...)
		dst = append(dst, '.')
	case r < 70: // annanovakk3x9a2b
		dst = append(dst, pick(rng, firstNames)...)
		dst = append(dst, pick(rng, lastNames)...)
	case r < 85: // anna_k3x9a2b
		dst = append(dst, pick(rng, firstNames)...)
		dst = append(dst, '_')
	default: // quickpay.k3x9a2b
		dst = append(dst, pick(rng, mailWords)...)
		dst = append(dst, '.')
	}
	dst = append(dst, tok...)
	dst = append(dst, '@')
	return append(dst, pick(rng, webmail)...)
}

// fillPayload fills b with prefix, big-endian, then random bytes.
func fillPayload(b []byte, rng *rand.Rand, prefix uint64) {
	for i := range b {
		if i < 8 {
			b[i] = byte(prefix >> (56 - 8*i))
		} else {
			b[i] = byte(rng.Uint32())
		}
	}
}

// appendHash appends a hash of size bytes, in lowercase hex.
func appendHash(dst []byte, rng *rand.Rand, prefix uint64, size int) []byte {
	var b [32]byte
	fillPayload(b[:size], rng, prefix)
	return appendHex(dst, b[:size])
}

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// appendBTC appends a mainnet Bitcoin address: P2PKH or P2SH in
// base58check, or a P2WPKH (bech32) or P2TR (bech32m) segwit address.
func appendBTC(dst []byte, rng *rand.Rand, prefix uint64) []byte {
	var b [32]byte
	switch r := rng.IntN(100); {
	case r < 35:
		fillPayload(b[:20], rng, prefix)
		return append(dst, base58.CheckEncode(b[:20], 0x00)...)
	case r < 55:
		fillPayload(b[:20], rng, prefix)
		return append(dst, base58.CheckEncode(b[:20], 0x05)...)
	case r < 90:
		fillPayload(b[:20], rng, prefix)
		return appendSegwit(dst, 0, b[:20])
	default:
		fillPayload(b[:32], rng, prefix)
		return appendSegwit(dst, 1, b[:32])
	}
}

func appendSegwit(dst []byte, version byte, program []byte) []byte {
	data, err := bech32.ConvertBits(program, 8, 5, true)
	if err != nil {
		return dst // unreachable: any bytes convert
	}
	data = append([]byte{version}, data...)
	var s string
	if version == 0 {
		s, err = bech32.Encode("bc", data)
	} else {
		s, err = bech32.EncodeM("bc", data)
	}
	if err != nil {
		return dst // unreachable: the data is short and in range
	}
	return append(dst, s...)
}

// appendETH appends an Ethereum address, with its EIP-55 checksum (mixed
// case) when checksum is set.
func appendETH(dst []byte, rng *rand.Rand, prefix uint64, checksum bool) []byte {
	var b [20]byte
	fillPayload(b[:], rng, prefix)
	dst = append(dst, "0x"...)
	start := len(dst)
	dst = appendHex(dst, b[:])
	if !checksum {
		return dst
	}
	h := sha3.NewLegacyKeccak256()
	h.Write(dst[start:])
	var sum [32]byte
	h.Sum(sum[:0])
	for i := range 40 {
		c := dst[start+i]
		nibble := sum[i/2] >> 4
		if i%2 == 1 {
			nibble = sum[i/2] & 0xf
		}
		if 'a' <= c && c <= 'f' && nibble >= 8 {
			dst[start+i] = c - 'a' + 'A'
		}
	}
	return dst
}

func appendIPv4(dst []byte, a uint32) []byte {
	for i := 3; i >= 0; i-- {
		dst = strconv.AppendUint(dst, uint64(a>>(8*uint(i))&0xff), 10)
		if i > 0 {
			dst = append(dst, '.')
		}
	}
	return dst
}
