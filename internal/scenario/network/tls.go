package network

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"

	"fusion/internal/zeek"
)

// TLS handshakes: every TLS connection the generator makes (HTTPS to a
// service, a CONNECT tunnel through the proxy, IMAPS, a beacon, a Tor
// relay, a benign agent) also has an ssl.log row with the uid of its
// connection and the name the client sent (server_name, the SNI). Modern
// clients mostly speak TLS 1.3, where Zeek sees no certificate; TLS 1.2
// handshakes show the server's chain, whose fingerprints here are derived
// from the name so that one service always shows the same certificate.

// tlsProfile is how a client's handshake looks in ssl.log.
type tlsProfile uint8

const (
	tlsBrowser tlsProfile = iota // a browser or a modern agent: mostly TLS 1.3 with ALPN
	tlsMalware                   // a C2 implant: TLS 1.2, no ALPN, a certificate that often does not match
	tlsTor                       // a Tor client: TLS 1.3, a random www name, no ALPN
)

var (
	ciphers13 = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
	ciphers12 = []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}
	caNames = []string{"ca:r10", "ca:r11", "ca:e5", "ca:gts-1c3", "ca:digicert-g2", "ca:sectigo-dv"}
)

// certChains caches the fingerprints of a name's certificate chain.
type certChains map[string][]string

// of returns the chain of the server named sni: a leaf and an
// intermediate, both SHA-256 fingerprints.
func (c certChains) of(sni string) []string {
	if v, ok := c[sni]; ok {
		return v
	}
	leaf := sha256.Sum256([]byte("leaf:" + sni))
	ca := caNames[splitmix(uint64(leaf[0])|uint64(leaf[1])<<8)%uint64(len(caNames))]
	inter := sha256.Sum256([]byte(ca))
	v := []string{hex.EncodeToString(leaf[:]), hex.EncodeToString(inter[:])}
	c[sni] = v
	return v
}

// handshaken reports whether connection c got far enough for a TLS
// handshake (it was answered).
func handshaken(c *zeek.Conn) bool { return c.ConnState != "S0" && c.ConnState != "REJ" }

// tlsHello adds the ssl.log row of TLS connection c, whose client sent sni
// (none when sni is ""), a moment after the connection started, and
// returns its time; -1 when the connection was not answered and has none.
func (g *gen) tlsHello(r *rand.Rand, c *zeek.Conn, sni string, prof tlsProfile) int64 {
	if !handshaken(c) {
		return -1
	}
	delay := int64(between(r, 300, 40000))
	if c.Duration >= 0 {
		delay = min(delay, c.Duration.Microseconds())
	}
	at := c.TS.UnixMicro() + delay
	s := g.ssls.add(at)
	*s = zeek.SSL{
		TS: ts(at), UID: c.UID, OrigH: c.OrigH, OrigP: c.OrigP, RespH: c.RespH, RespP: c.RespP,
		ServerName: sni, Resumed: zeek.False, Established: zeek.True,
	}
	switch x := r.IntN(100); {
	case prof == tlsTor:
		s.Version, s.Cipher, s.Curve, s.SSLHistory = "TLSv13", ciphers13[r.IntN(len(ciphers13))], "x25519", "CsiI"
	case prof == tlsMalware:
		s.Version, s.Cipher, s.Curve, s.SSLHistory = "TLSv12", ciphers12[r.IntN(2)], "secp256r1", "CsxknGIi"
		s.CertChainFPs = g.certs.of(sni)
		// Half the C2 servers show a certificate for their name, half a
		// self-signed one for another.
		s.SNIMatchesCert = zeek.BoolOf(s.CertChainFPs[0][0]&1 == 0)
	case x < 72: // TLS 1.3
		s.Version, s.Cipher, s.Curve, s.SSLHistory = "TLSv13", ciphers13[r.IntN(len(ciphers13))], "x25519", "CsiI"
		s.NextProtocol = alpn(r)
	case x < 80: // TLS 1.2, resumed: no certificate
		s.Version, s.Cipher, s.Curve, s.SSLHistory = "TLSv12", ciphers12[r.IntN(len(ciphers12))], "x25519", "CsxIi"
		s.Resumed = zeek.True
		s.NextProtocol = alpn(r)
	default: // TLS 1.2, full handshake
		s.Version, s.Cipher, s.Curve, s.SSLHistory = "TLSv12", ciphers12[r.IntN(len(ciphers12))], "x25519", "CsxknGIi"
		s.NextProtocol = alpn(r)
		if sni != "" {
			s.CertChainFPs = g.certs.of(sni)
			s.SNIMatchesCert = zeek.True
		}
	}
	if c.ConnState == "S1" && r.IntN(2) == 0 { // still handshaking when the capture ended
		s.Established, s.SSLHistory = zeek.False, s.SSLHistory[:2]
		s.NextProtocol, s.CertChainFPs, s.SNIMatchesCert = "", nil, zeek.BoolUnset
	}
	return at
}

func alpn(r *rand.Rand) string {
	if r.IntN(5) == 0 {
		return "http/1.1"
	}
	return "h2"
}

// torSNI returns the kind of name a Tor client sends: "www." and random
// letters and digits on .com or .net.
func torSNI(r *rand.Rand) string {
	const alnum = "abcdefghijklmnopqrstuvwxyz234567"
	b := []byte("www.")
	for range between(r, 8, 20) {
		b = append(b, alnum[r.IntN(len(alnum))])
	}
	if r.IntN(2) == 0 {
		return string(b) + ".com"
	}
	return string(b) + ".net"
}
