package pipeline

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferrysync/ferry"
)

// backfill is the checkpoint of a full pass in progress.
type backfill struct {
	Sweep     string    `json:"sweep"`      // the run that started the pass
	StartedAt time.Time `json:"started_at"` // when it started, Ferry's clock
	Newest    int64     `json:"newest"`     // newest created time the pass covers
	// Empty: the table had no rows when the pass started, so every row it
	// will hold is one the pass writes: there is nothing to sweep, and the
	// pass skips recording seen ids (most of a first backfill's extra cost).
	Empty  bool         `json:"empty,omitempty"`
	Ranges []rangeState `json:"ranges"`
}

type rangeState struct {
	ferry.Range
	Cursor string `json:"cursor,omitempty"` // last id committed
	Last   int64  `json:"last,omitempty"`   // created time of that record (progress)
	Done   bool   `json:"done,omitempty"`
}

// incremental is the persistent high watermark of a configuration.
type incremental struct {
	Created   ferry.Watermark `json:"created"`    // new objects: created at or after
	Events    ferry.Watermark `json:"events"`     // change feed position
	SinceFull int             `json:"since_full"` // incremental runs since the last full one
	FullAt    time.Time       `json:"full_at"`    // when the last full pass finished
}

func decode[T any](b []byte, what string) (*T, error) {
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "stored %s checkpoint is unreadable (%v); run with --full to start over", what, err)
	}
	return v, nil
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("pipeline: encode checkpoint: %v", err)) // plain structs: cannot fail
	}
	return b
}

// fraction estimates how much of the pass is done, from how far each range's
// newest-first walk has come down its created span.
func (b *backfill) fraction() float64 {
	var span, done float64
	for _, r := range b.Ranges {
		w := float64(r.Hi - r.Lo)
		if w <= 0 {
			w = 1
		}
		span += w
		switch {
		case r.Done:
			done += w
		case r.Cursor != "":
			done += min(w, float64(r.Hi-r.Last))
		}
	}
	if span == 0 {
		return 1
	}
	return done / span
}
