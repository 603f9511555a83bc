package intelgen

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// keys scramble record numbers into unique-looking tokens and payloads.
type keys struct {
	tok   [2]uint64 // for the 34-bit token permutation
	bytes uint64    // for the 64-bit payload prefix
}

func newKeys(rng *rand.Rand) keys {
	return keys{tok: [2]uint64{rng.Uint64(), rng.Uint64()}, bytes: rng.Uint64()}
}

// permBits is a keyed bijection on [0, 2^bits): xor with the key,
// multiply by an odd constant and xor-shift, twice. Each step is invertible
// modulo 2^bits, so distinct inputs give distinct outputs.
func permBits(x uint64, bits uint, key uint64) uint64 {
	if bits == 0 {
		return 0
	}
	mask := uint64(1)<<bits - 1
	x = (x ^ key) & mask
	x = (x * 0x9e3779b97f4a7c15) & mask
	x ^= x >> (bits/2 + 1)
	x = (x * 0xbf58476d1ce4e5b9) & mask
	x ^= x >> (bits/3 + 1)
	x = (x + key>>bits) & mask
	return x
}

// tokenBits is the size of the token space: 2^34 > MaxCount.
const tokenBits = 34

// tokenLen base-36 digits hold any 34-bit number (36^7 > 2^34).
const tokenLen = 7

const base36 = "0123456789abcdefghijklmnopqrstuvwxyz"

// token returns record n's token: seven lowercase letters and digits, the
// same for no two records of a run.
func (k *keys) token(n int64) [tokenLen]byte {
	x := permBits(uint64(n), tokenBits, k.tok[0])
	x = permBits(x, tokenBits, k.tok[1])
	var t [tokenLen]byte
	for i := tokenLen - 1; i >= 0; i-- {
		t[i] = base36[x%36]
		x /= 36
	}
	return t
}

// prefix returns record n's 64-bit payload prefix, the same for no two
// records: the first eight bytes of its hash or wallet.
func (k *keys) prefix(n int64) uint64 {
	x := uint64(n) ^ k.bytes
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// network is a hosting network that botnet C2 servers cluster in.
type network struct {
	base        uint32
	bits        uint // prefix length, 16 or 20
	name        string
	asn         string // "AS" and a private-use number: fictional
	bulletproof bool
	key         uint64
	used        uint64                        // addresses handed out
	cidrs       [cidrMax - cidrMin + 1]uint64 // networks handed out, by prefix length
}

// CIDR records are /24 to /28 networks.
const (
	cidrMin = 24
	cidrMax = 28
)

// hosting is the run's set of hosting networks.
type hosting struct {
	nets []network
	cum  []float64 // cumulative weights
}

var (
	hostNames    = []string{"Nimbus", "Vortex", "Coldharbor", "Blackrock", "Ironvale", "Silverline", "Quartz", "Anvil", "Northgate", "Driftwood", "Kestrel", "Lumen"}
	hostSuffixes = []string{"Hosting", "Cloud", "Networks", "Datacenter", "VPS", "Servers"}
)

// Base set: three /16 and seven /20 networks.
const (
	base16 = 3
	base20 = 7
)

// newHosting draws the hosting networks: the base set, and more /16
// networks when count records would not fit in it with room to spare.
func newHosting(rng *rand.Rand, count int64) *hosting {
	ipNeed := float64(count) * share(catIPv4) * 1.25
	cidrNeed := float64(count) * share(catCIDR) * 1.25
	ipCap := float64(base16<<16 + base20<<12)
	cidrCap := float64(base16*cidrBlocks(16) + base20*cidrBlocks(20))
	extra := max(0, math.Ceil((ipNeed-ipCap)/(1<<16)), math.Ceil((cidrNeed-cidrCap)/float64(cidrBlocks(16))))
	n16 := base16 + int(extra)
	h := &hosting{}
	seen := map[uint32]bool{}
	for i := 0; i < n16+base20; i++ {
		var slash16 uint32
		for {
			slash16 = rng.Uint32() &^ 0xffff
			if !seen[slash16] && publicBlock(slash16, 16) {
				break
			}
		}
		seen[slash16] = true
		nw := network{base: slash16, bits: 16, key: rng.Uint64()}
		if i >= n16 {
			nw.bits = 20
			nw.base |= uint32(rng.IntN(16)) << 12
		}
		nw.name = hostNames[rng.IntN(len(hostNames))] + " " + hostSuffixes[rng.IntN(len(hostSuffixes))]
		nw.asn = "AS" + strconv.Itoa(64512+rng.IntN(1023))
		nw.bulletproof = rng.IntN(10) < 3
		h.nets = append(h.nets, nw)
	}
	// Weight by size, unevenly: a few networks hold most servers.
	total := 0.0
	for i := range h.nets {
		total += float64(uint64(1)<<(32-h.nets[i].bits)) * (0.2 + rng.Float64())
		h.cum = append(h.cum, total)
	}
	return h
}

// cidrBlocks is how many /24 to /28 networks fit in a network of the given
// prefix length, all lengths together.
func cidrBlocks(bits uint) int {
	n := 0
	for l := uint(cidrMin); l <= cidrMax; l++ {
		n += 1 << (l - bits)
	}
	return n
}

// pick draws a network index by weight.
func (h *hosting) pick(rng *rand.Rand) int {
	x := rng.Float64() * h.cum[len(h.cum)-1]
	for i, c := range h.cum {
		if x < c {
			return i
		}
	}
	return len(h.cum) - 1
}

// address hands out a new address, in network i if it has room or in the
// next network that does; false when all are full.
func (h *hosting) address(i int) (uint32, *network, bool) {
	for range h.nets {
		nw := &h.nets[i]
		size := uint64(1) << (32 - nw.bits)
		for nw.used < size {
			x := permBits(nw.used, 32-nw.bits, nw.key)
			nw.used++
			if x != 0 && x != size-1 { // not the network or broadcast address
				return nw.base | uint32(x), nw, true
			}
		}
		i = (i + 1) % len(h.nets)
	}
	return 0, nil, false
}

// cidr hands out a new network of prefix length bits (or another length
// when those are used up) in network i or the next one with room.
func (h *hosting) cidr(i int, bits uint) (uint32, uint, *network, bool) {
	for range h.nets {
		nw := &h.nets[i]
		for try := range uint(cidrMax - cidrMin + 1) {
			l := cidrMin + (bits-cidrMin+try)%(cidrMax-cidrMin+1)
			k := &nw.cidrs[l-cidrMin]
			if *k < uint64(1)<<(l-nw.bits) {
				x := permBits(*k, l-nw.bits, nw.key)
				*k++
				return nw.base | uint32(x)<<(32-l), l, nw, true
			}
		}
		i = (i + 1) % len(h.nets)
	}
	return 0, 0, nil, false
}

// any returns an address anywhere in a network, without handing it out:
// for payload URLs, whose uniqueness comes from their path.
func (h *hosting) any(rng *rand.Rand) uint32 {
	nw := &h.nets[h.pick(rng)]
	size := uint32(1) << (32 - nw.bits)
	return nw.base | (1 + rng.Uint32N(size-2))
}

// reserved are the IPv4 ranges that are not public unicast addresses
// (RFC 6890 and multicast/reserved space), as address and prefix length.
var reserved = []struct {
	addr uint32
	bits uint
}{
	{0x00000000, 8}, {0x0a000000, 8}, {0x64400000, 10}, {0x7f000000, 8}, {0xa9fe0000, 16},
	{0xac100000, 12}, {0xc0000000, 24}, {0xc0000200, 24}, {0xc0586300, 24}, {0xc0a80000, 16},
	{0xc6120000, 15}, {0xc6336400, 24}, {0xcb007100, 24}, {0xe0000000, 3},
}

// publicBlock reports whether the network base/bits overlaps no reserved
// range.
func publicBlock(base uint32, bits uint) bool {
	for _, r := range reserved {
		common := min(bits, r.bits)
		if base>>(32-common) == r.addr>>(32-common) {
			return false
		}
	}
	return true
}
