package zeek

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// UIDLen is the length of the ids AppendUID makes.
const UIDLen = 18

// AppendUID appends a Zeek-style unique id — prefix ('C' for connections,
// 'F' for files) then 17 base62 characters — made from the random words hi
// and lo, so that a generator seeded alike makes the same ids.
func AppendUID(dst []byte, prefix byte, hi, lo uint64) []byte {
	dst = append(dst, prefix)
	for range 9 {
		dst = append(dst, base62[hi%62])
		hi /= 62
	}
	for range 8 {
		dst = append(dst, base62[lo%62])
		lo /= 62
	}
	return dst
}
