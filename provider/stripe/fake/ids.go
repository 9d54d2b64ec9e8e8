package fake

import "math/bits"

// Ids of every object the fake serves encode the object's index: the index is
// run through a keyed 64-bit permutation (the key mixes the seed and the id
// prefix, so ids look random and differ per seed and per type), written as 11
// base62 digits, followed by 3 check digits. Decoding inverts this in O(1),
// which is what lets starting_after and retrieves of seeded objects work
// without any map. Objects created after seeding get the indexes after the
// seeded ones, so every id of the fake decodes the same way.

const (
	idValueDigits = 11 // 62^11 > 2^64
	idCheckDigits = 3
	idDigits      = idValueDigits + idCheckDigits

	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

	mulA = 0xbf58476d1ce4e5b9
	mulB = 0x94d049bb133111eb
	// maxIndex bounds decoded indexes so that a random string that happens to
	// pass the check digits cannot claim an absurd index.
	maxIndex = 1 << 40
)

var invA, invB = inverse(mulA), inverse(mulB)

// inverse returns the multiplicative inverse of an odd number modulo 2^64.
func inverse(c uint64) uint64 {
	inv := c
	for range 6 {
		inv *= 2 - c*inv
	}
	return inv
}

// splitmix64 is the finaliser of SplitMix64: a good, cheap 64-bit mix.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * mulA
	x = (x ^ (x >> 27)) * mulB
	return x ^ (x >> 31)
}

// hashString is FNV-1a, used to derive per-prefix keys.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// idCodec encodes and decodes the ids of one prefix ("cus_") under one seed.
type idCodec struct {
	prefix     string
	key1, key2 uint64
}

func newIDCodec(seed int64, prefix string) idCodec {
	k := splitmix64(uint64(seed) ^ hashString(prefix))
	return idCodec{prefix: prefix, key1: k, key2: splitmix64(k)}
}

func (c idCodec) permute(x uint64) uint64 {
	x ^= c.key1
	x *= mulA
	x ^= x >> 29
	x *= mulB
	x ^= x >> 32
	return x + c.key2
}

func (c idCodec) unpermute(x uint64) uint64 {
	x -= c.key2
	x ^= x >> 32
	x *= invB
	x ^= x>>29 ^ x>>58
	x *= invA
	return x ^ c.key1
}

func (c idCodec) check(v uint64) uint64 {
	return splitmix64(v^c.key2) % (62 * 62 * 62)
}

// encode returns the id of index idx.
func (c idCodec) encode(idx int64) string {
	var b [idDigits]byte
	v := c.permute(uint64(idx))
	for i, x := idValueDigits-1, v; i >= 0; i-- {
		b[i] = base62[x%62]
		x /= 62
	}
	for i, x := idDigits-1, c.check(v); i >= idValueDigits; i-- {
		b[i] = base62[x%62]
		x /= 62
	}
	return c.prefix + string(b[:])
}

// decode returns the index an id encodes, and false when id is not an id this
// codec made.
func (c idCodec) decode(id string) (int64, bool) {
	if len(id) != len(c.prefix)+idDigits || id[:len(c.prefix)] != c.prefix {
		return 0, false
	}
	s := id[len(c.prefix):]
	var v uint64
	for i := range idValueDigits {
		d, ok := digit62(s[i])
		if !ok {
			return 0, false
		}
		hi, lo := bits.Mul64(v, 62)
		lo, carry := bits.Add64(lo, d, 0)
		if hi != 0 || carry != 0 {
			return 0, false
		}
		v = lo
	}
	var chk uint64
	for i := idValueDigits; i < idDigits; i++ {
		d, ok := digit62(s[i])
		if !ok {
			return 0, false
		}
		chk = chk*62 + d
	}
	if chk != c.check(v) {
		return 0, false
	}
	idx := c.unpermute(v)
	if idx >= maxIndex {
		return 0, false
	}
	return int64(idx), true
}

func digit62(b byte) (uint64, bool) {
	switch {
	case b >= '0' && b <= '9':
		return uint64(b - '0'), true
	case b >= 'A' && b <= 'Z':
		return uint64(b-'A') + 10, true
	case b >= 'a' && b <= 'z':
		return uint64(b-'a') + 36, true
	}
	return 0, false
}
