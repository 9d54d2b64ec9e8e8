package store

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"sync"
	"time"
)

// Run ids are "run_" and 26 characters: the base32 (Crockford alphabet,
// lower case) of 16 bytes, a 48-bit millisecond timestamp followed by 80
// random bits, as in a ULID. The alphabet is in ASCII order, so ids sort as
// their creation times; within one millisecond a process increments the
// random part, so its ids stay strictly increasing.
const runIDPrefix = "run_"

var runIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

var ids struct {
	sync.Mutex
	ms   uint64
	last [16]byte
}

// NewRunID returns a new run id: time-ordered, strictly increasing within
// a process. Code that inserts a run outside the store (the River executor
// inserts it in its own transaction with the job) takes its id from here.
func NewRunID(now time.Time) string {
	ms := uint64(max(now.UnixMilli(), 0))
	ids.Lock()
	defer ids.Unlock()
	var b [16]byte
	if ms <= ids.ms {
		// Same millisecond (or the clock went back): the previous id plus one.
		b = ids.last
		for i := 15; i >= 6; i-- {
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	} else {
		var t [8]byte
		binary.BigEndian.PutUint64(t[:], ms)
		copy(b[:6], t[2:])
		_, _ = rand.Read(b[6:])
		ids.ms = ms
	}
	ids.last = b
	return runIDPrefix + runIDEncoding.EncodeToString(b[:])
}
