// Package c2 finds command-and-control traffic in enterprise network logs:
// hosts beaconing to a server, polling a bulletin board for commands,
// tunnelling through DNS, or holding a connection open for hours. score.go,
// severity.go, explain.go and dns.go are the pure scoring core: numbers
// and names in, scores and findings out. detect.go, pair.go and allow.go
// are the streaming [Detector] that feeds them from Zeek logs.
//
// # The detector
//
// A [Detector] reads Zeek logs one at a time ([Detector.Log]): http.log and
// ssl.log first, which name connections (HTTP Host, a proxied CONNECT's
// target, TLS server name) by their uid; then dns.log (each query to the
// DNS tunnel scorer; each A/AAAA answer ties an address to the name it
// serves); then conn.log. Each connection from an internal host
// ([Config.Internal]) to an outside address joins its address pair and,
// when a name was seen for its uid (also through an internal proxy), its
// name pair (source, name), so that a C2 behind a CDN or several
// addresses is one series. Each http.log GET joins a poll pair (source,
// host and URI) scored on the response sizes. A pair's window starts at
// its first connection and lasts [Config.Window]; a connection past it
// closes the window, which is scored.
//
// A window is reported when it scores at least [Config.MinScore] and its
// intervals deviate (median absolute deviation) at most [Config.MaxJitter]
// of their median: RITA's mean alone lets steady irregular traffic through
// on its histogram and duration. A pair active for less than half a
// window (a beacon of a few hours, or one that sleeps overnight) cannot
// reach the threshold over a day; its longest active stretch, split at
// silences of four median intervals, is scored again over its own span
// with one histogram bin per interval (up to 24), the histogram left out
// below two connections a bin, and must reach [Config.ShortMinScore].
//
// Then, when findings are asked for ([Detector.Findings], which changes
// nothing and can be asked again while reading goes on): destinations on
// the allowlist ([DefaultAllowlist]: public time services) are dropped,
// and so are popular ones — reached by at least [Config.PrevalenceShare]
// of the internal hosts and [Config.PrevalenceMin] of them, counted per
// address, per TLS/HTTP name and per resolved name over all its
// addresses. A poll hides the beacon of the same traffic; a name pair's
// beacon hides the address pairs it was reached over. Windows of one
// pair are merged into one finding (the best window's scores, the span of
// all). Long connections are each address pair's longest chain of
// connections at most [Config.ChainGap] apart that lasts
// [Config.LongConnection] and is busy nine tenths of it.
//
// Memory is bounded per pair: about 350 bytes, plus 8 bytes a connection
// past the third up to the strobe limit (86,400 a day: 675 KiB at worst),
// plus up to 8 addresses for a name pair; a connection's name waits in a
// map (about 40 bytes) until its conn.log row comes. Pairs are kept for
// the whole run.
//
// # Beacon score
//
// The beacon score is RITA v5's (Active Countermeasures,
// github.com/activecm/rita, analysis/beacons.go and config/config.go),
// reimplemented here with RITA's default parameters ([DefaultParams]). A
// source→destination pair is scored over a window — RITA's last 24 hours —
// from its connections' start times and the bytes its source sent on each
// (Zeek's orig_ip_bytes; RITA's src_ip_bytes). A pair needs at least 4
// distinct timestamps (3 intervals); a pair averaging one connection a
// second or more (86,400 a day) is a strobe, reported as such and not
// scored. The score is the mean of four sub-scores, each in [0, 1] and
// rounded to three decimals as RITA rounds them:
//
//   - Timestamp: over the intervals between consecutive distinct
//     timestamps, the mean of a skewness score and a dispersion score. The
//     skewness score is 1 − |Bowley skewness|, with the Bowley skewness
//     (Q1 + Q3 − 2·Q2)/(Q3 − Q1) taken as 0 when the interquartile range is
//     under 10 s or the median equals a quartile (RITA's guards against
//     small jitter). The dispersion score is (median − MAD)/median, MAD
//     being the median absolute deviation from the median, floored at 0;
//     with a median under 1 s it is 1. Quartiles are medians of the lower
//     and upper halves, the middle value left out for odd counts
//     (montanaflynn/stats, which RITA uses). A perfect beacon scores 1.
//   - Size: the same over the bytes sent per connection, except that a
//     median under 1 byte scores 0 for dispersion. RITA v4 added a
//     "smallness" term (1 − mode/65,535); v5 dropped it, and so does this
//     package.
//   - Histogram: connections are counted in 24 equal bins over the window.
//     The score is the better of 1 − CV (the coefficient of variation of
//     the 24 counts, population standard deviation over mean; 0 when CV >
//     1) and a bimodal fit: the busy bins' counts are put in buckets 5% of
//     the busiest bin wide, and the fit is the share of busy bins in the two
//     fullest buckets, one bin forgiven as an outlier; it needs 11 busy
//     bins. A beacon that sleeps overnight or alternates two rates fits
//     two modes.
//   - Duration: with at least 6 busy bins, the better of the coverage
//     (last − first connection over the window's length) and the
//     consistency (the longest run of consecutive busy bins, wrapping from
//     the last bin to the first, over 12); both capped at 1. With fewer
//     busy bins it is 0.
//
// The score is lenient with steady random traffic: a Poisson process with
// random sizes that runs all day scores 0.7–0.83 (a beacon with 30%
// jitter 0.93 and more), because the duration and histogram scores reward
// any all-day traffic and the size score any sizes of similar magnitude.
// RITA leans on allowlists and prevalence for this; so must callers.
//
// [ThreatScore] maps a beacon score to RITA's threat score (scores from 0.5
// to 0.75 onto 0.2–0.4, 0.75–0.9 onto 0.4–0.6, 0.9–1 onto 0.6–0.8; below 0.5
// is 0), and [Category] names a threat score: none up to 0.2, low up to 0.4,
// medium up to 0.6, high up to 0.8, critical above — reachable only when
// modifiers such as low prevalence raise the threat score, as in RITA.
// [Severity] is the two together.
//
// # DNS tunnelling score
//
// See [DNSTunnels]: queries are grouped by source host and registered
// domain (public suffix plus one label), and each group is scored on the
// number of unique subdomains, their length, their character entropy and
// the share of record types that carry data (TXT, NULL, CNAME, MX, ANY),
// then damped by prevalence — how many hosts query the domain.
//
// # Memory
//
// A beacon [Series] costs 8 bytes a connection (a 32-bit offset and a
// 32-bit byte count); a [Scorer] needs 12 bytes a connection of scratch
// for the longest series it scores and allocates nothing after that. A DNS
// group's state is bounded: see [DNSTunnels].
package c2
