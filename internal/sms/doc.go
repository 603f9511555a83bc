// Package sms is the SMS-pumping guard's engine: it decides, before an app
// sends a one-time code by SMS, whether to send it (allow), to make the
// client pass a challenge first, or to refuse (block), and it learns from
// the requests it sees and from the codes entered. It does no I/O: the
// API and `fusion sms replay` (internal/cli/sms.go) feed it.
//
// # Input
//
// A request (ParseRequest) is {app, number, ip, user_agent, time}; a
// verification (ParseVerified) is {app, number, time}. The sms scenario's
// requests.jsonl lines parse as requests as they are (client_ip for ip,
// with country, verified and verified_at), and a replay feeds their
// verified_at back as verifications when the code was sent.
//
// # Numbers
//
// Each number is analysed with libphonenumber (github.com/nyaruka/phonenumbers):
// E.164 form, region, type (mobile, fixed line, premium rate, toll free,
// shared cost, VoIP, ... or invalid) and carrier — the operator the range
// was first assigned to, from libphonenumber's carrier data, which knows
// mobile ranges of most countries; it is empty elsewhere, and number
// portability means the real carrier may differ. The analysis costs 10 to
// 30 µs, so it is cached per 1,000-number block (see Analyser, and the
// analysis each block keeps). Detection
// counts and blocks by prefix blocks: the number without its last three
// digits (1,000 numbers) and without its last four (10,000).
//
// # State
//
// Per app: Counts (requests and verifications in sliding minute, hour and
// day windows of 24 buckets each, a fixed 672 bytes) per destination
// country and per carrier; per country a baseline (hourly volume and
// conversion, exponentially weighted over about a day, surges folded in
// clipped); per client address the countries it asked for in the hour.
// Per Guard, shared by its apps (a sender's Android and iOS apps and web
// site are one target: a campaign rotating over them leaves its evidence
// in one place, and a range blocked through one is blocked for all, each
// app's mode still deciding its answers): per 1,000-number block its last
// requests sent (up to 16: time, last digits, entered or not, hashes of
// address and user agent; room for four at first) and, once 16 came within
// an hour (a busy block), minute and hour counters of its requests and
// verifications; the blocks in force with their history.
//
// Memory is bounded by Config.MaxPrefixes blocks per Guard (about 300
// bytes for a quiet block with its map entry and cached analysis; the
// default 1,048,576), Config.MaxBusy busy blocks among them (about 1 KB
// more each: counters and the full ring; the default 65,536) and
// Config.MaxIPs addresses per app (24 bytes under a 64-bit hash, about 48
// with the map: 12 MB at the default 262,144). At a bound, blocks idle for
// a day go first, then for an hour, then any, down to three quarters;
// counters and addresses idle for an hour first, then any. Countries and
// carriers are a few hundred; the blocked prefixes remembered for
// escalation at most Config.MaxEpisodes; the apps with their own state at
// most Config.MaxApps (1,024; requests for later apps share one state);
// the analysis cache at most 2^20 blocks; the findings at most
// Config.MaxEpisodes block episodes. The worst case at the defaults is
// about 600 MB per Guard and 12 MB per app. Measured (BenchmarkStateMillion): a busy
// sender's day and a half, 1,050,000 requests to 979,453 distinct numbers
// in 243,216 blocks from three apps, held 209.8 to 211.1 MiB of heap
// (225 bytes a number).
//
// # Rules
//
// In order, the first that applies decides:
//
//   - safe list (numbers and prefixes of the app): allow;
//   - invalid number: block; premium rate: block (after the shared and
//     geo checks); toll free, shared cost, VoIP, UAN, pager, voicemail:
//     challenge;
//   - a country outside the app's allowed ones (geo-permissions): block;
//   - a prefix in the Shared set (ranges other members shared as
//     sms-pumping): the app's Shared verdict, block or challenge;
//   - a blocked prefix (1,000 or 10,000 numbers): block;
//   - low conversion in the block: of the distinct numbers sent a code in
//     the hour and at least MatureAfter ago, at least MinMatured, at most
//     MaxConversion entered (with fewer than twice MinMatured, they must
//     have come within ten minutes): block the prefix;
//   - a burst of BlockBurst distinct numbers in a minute, none entered,
//     sequential (neighbours within 3) or clustered (within 300): block
//     the prefix;
//   - low and slow, over the block's requests of the last day (of the
//     week, for a block blocked before): at most MaxConversion of the
//     numbers entered, and three not entered with two of them within 3
//     of this number, or four not entered within 300 of each other (for a
//     block blocked before, three within 300): block the prefix;
//   - a burst of BurstNumbers, sequential or clustered numbers (within
//     the hour, or over the day: a number not entered within 3 of this
//     one and none entered there; three not entered within 300), a
//     blocked neighbour in the same 10,000, a country or carrier whose
//     codes are not entered (hour window), a country surge above its
//     baseline with conversion down, a country new to the app, an address
//     asking for many countries: challenge.
//
// A prefix is blocked for BlockTTL (an hour); blocked again within
// RepeatWithin, for twice as long each time, up to MaxBlockTTL. Two
// blocked 1,000-number blocks in one 10,000 block the 10,000. Release
// lifts a block. The app's mode softens the verdict: challenge turns
// blocks into challenges, record-only answers allow (Decision.Would keeps
// the verdict reached) while still learning and blocking internally.
//
// # Findings
//
// Findings returns one sms-pumping finding per block episode, its entity
// the blocked prefix (as the sms scenario's truth names a campaign's
// block, or a longer prefix of it, which scoring matches), from the first
// request of the evidence to the last request refused.
//
// # Figures
//
// On sms scenarios of 500,000 requests (five days; seeds 5, 6 and 7: ten
// burst campaigns and five each of low-and-slow, in-country and
// verifying, and five legitimate surges), `fusion sms replay --truth`
// blocks or challenges before send, per campaign kind: burst 99.68% of
// requests in all three, in-country 98.65% to 99.53%, low-and-slow
// 97.79% to 98.47%, verifying 99.43% to 99.64% (93% to 97% of all pumping
// requests blocked, the rest challenged while the evidence builds); the
// median campaign is stopped after 2 requests (1 to 3.5 per kind). It
// blocks none of the 487,000 legitimate requests, challenges 0.034% to
// 0.057%, and blocks nothing of the marketing pushes and launches in
// negatives.jsonl (at most 0.55% of a launch's requests challenged).
// What it cannot see: a low-and-slow campaign in a block as busy with the
// app's own users as hundreds of requests a day (a block remembers its
// last 16 requests, an hour of those), and the first request or two of a
// campaign, which carry no evidence. Check costs 1.68 to 1.73 µs a
// request with its code's verification on this 2-core machine with the
// analysis cached (BenchmarkCheck, no allocations, the state of a day's
// 100,000 requests), dominated by lookups in the block and address maps;
// a block never seen adds libphonenumber's 20 µs (BenchmarkAnalyse).
package sms
