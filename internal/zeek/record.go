package zeek

import (
	"net/netip"
	"time"
)

// Unset marks an optional count or interval that is not set: a field of
// type int64 or time.Duration holding a negative value is written as the
// unset marker ("-" in TSV, left out in JSON). Zero is a value.
const Unset = -1

// Bool is a Zeek bool that may be unset. Its zero value is unset.
type Bool uint8

// The Bool values.
const (
	BoolUnset Bool = iota
	False
	True
)

// BoolOf returns True or False.
func BoolOf(b bool) Bool {
	if b {
		return True
	}
	return False
}

// Conn is one conn.log record (Conn::Info).
type Conn struct {
	TS          time.Time
	UID         string
	OrigH       netip.Addr
	OrigP       uint16
	RespH       netip.Addr
	RespP       uint16
	Proto       string        // enum: "tcp", "udp", "icmp", "unknown_transport"
	Service     string        // e.g. "ssl", "http", "dns"; several joined by ","
	Duration    time.Duration // Unset when Zeek saw a single packet
	OrigBytes   int64
	RespBytes   int64
	ConnState   string // S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH
	LocalOrig   Bool
	LocalResp   Bool
	MissedBytes int64
	History     string
	OrigPkts    int64
	OrigIPBytes int64
	RespPkts    int64
	RespIPBytes int64
	// TunnelParents is a set of uids.
	TunnelParents []string
}

// DNS is one dns.log record (DNS::Info).
type DNS struct {
	TS         time.Time
	UID        string
	OrigH      netip.Addr
	OrigP      uint16
	RespH      netip.Addr
	RespP      uint16
	Proto      string // enum: "udp" or "tcp"
	TransID    int64
	RTT        time.Duration
	Query      string
	QClass     int64
	QClassName string
	QType      int64
	QTypeName  string
	RCode      int64
	RCodeName  string
	AA         Bool
	TC         Bool
	RD         Bool
	RA         Bool
	Z          int64
	Answers    []string
	TTLs       []time.Duration
	Rejected   Bool
}

// HTTP is one http.log record (HTTP::Info).
type HTTP struct {
	TS              time.Time
	UID             string
	OrigH           netip.Addr
	OrigP           uint16
	RespH           netip.Addr
	RespP           uint16
	TransDepth      int64
	Method          string
	Host            string
	URI             string
	Referrer        string
	Version         string
	UserAgent       string
	Origin          string
	RequestBodyLen  int64
	ResponseBodyLen int64
	StatusCode      int64
	StatusMsg       string
	InfoCode        int64
	InfoMsg         string
	Tags            []string // set[enum]; Zeek writes an empty set, not unset, when there are none
	Username        string
	Password        string
	Proxied         []string
	OrigFUIDs       []string
	OrigFilenames   []string
	OrigMIMETypes   []string
	RespFUIDs       []string
	RespFilenames   []string
	RespMIMETypes   []string
}

// SSL is one ssl.log record (SSL::Info): one TLS (or SSL, or DTLS)
// handshake Zeek saw, with the name the client asked for (server_name, the
// SNI) and the fingerprints of the certificates offered.
type SSL struct {
	TS           time.Time
	UID          string
	OrigH        netip.Addr
	OrigP        uint16
	RespH        netip.Addr
	RespP        uint16
	Version      string // e.g. "TLSv12", "TLSv13"
	Cipher       string // e.g. "TLS_AES_128_GCM_SHA256"
	Curve        string // e.g. "x25519"
	ServerName   string // the SNI the client sent
	Resumed      Bool
	LastAlert    string
	NextProtocol string // the ALPN protocol chosen, e.g. "h2"
	Established  Bool
	// SSLHistory holds one letter per handshake message, upper case from
	// the client, lower case from the server (e.g. "CsxknGIi").
	SSLHistory string
	// CertChainFPs and ClientCertChainFPs are the SHA-256 fingerprints of
	// the certificates the server and the client offered, leaf first.
	CertChainFPs       []string
	ClientCertChainFPs []string
	SNIMatchesCert     Bool
}
