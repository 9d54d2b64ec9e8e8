package stripe

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ferrysync/ferry"
)

// Ranges splits the object's whole created range into at most n disjoint
// ranges [Lo,Hi) of equal duration, to be listed concurrently. It finds the
// newest created time with one call and the oldest with a search of at most
// ~31 limit=1 probes (fewer in practice: each probe answers with the newest
// object older than the probe, which moves the bound to that object's time).
// An object with no records gives no ranges. Records created after Ranges ran
// are not covered; the change feed reports them.
//
// The split is even in time, not in records: bursty histories give uneven
// slices, which the engine's concurrency absorbs.
func (c *Client) Ranges(ctx context.Context, object string, n int) ([]ferry.Range, error) {
	info, err := lookup(object)
	if err != nil {
		return nil, fmt.Errorf("split stripe %s: %w", object, err)
	}
	newest, ok, err := c.newestAtOrBefore(ctx, info, -1)
	if err != nil {
		return nil, fmt.Errorf("split stripe %s: %w", object, err)
	}
	if !ok {
		return []ferry.Range{}, nil
	}
	oldest, err := c.oldest(ctx, info, newest)
	if err != nil {
		return nil, fmt.Errorf("split stripe %s: %w", object, err)
	}
	return split(oldest, newest+1, n), nil
}

// oldest returns the smallest created time of the object, knowing that an
// object was created at newest.
func (c *Client) oldest(ctx context.Context, info objectInfo, newest int64) (int64, error) {
	// Invariant: no object was created at or before lo; one was at hi.
	lo, hi := int64(-1), newest
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		created, ok, err := c.newestAtOrBefore(ctx, info, mid)
		if err != nil {
			return 0, err
		}
		if ok && created <= mid {
			hi = created
		} else {
			// None at or before mid. (A server that ignores the filter and
			// answers a newer object is treated the same, so the search
			// still ends.)
			lo = mid
		}
	}
	return hi, nil
}

// newestAtOrBefore returns the created time of the newest object created at
// or before t (t < 0: of the newest object), and whether there is one.
func (c *Client) newestAtOrBefore(ctx context.Context, info objectInfo, t int64) (int64, bool, error) {
	q := info.query()
	q.Set("limit", "1")
	if t >= 0 {
		q.Set("created[lt]", strconv.FormatInt(t+1, 10))
	}
	body, err := c.get(ctx, info.path, q)
	if err != nil {
		return 0, false, err
	}
	p, err := parsePage(body)
	if err != nil {
		return 0, false, err
	}
	if len(p.records) == 0 {
		return 0, false, nil
	}
	return p.records[0].Created, true, nil
}

// split cuts [lo,hi) into at most n disjoint ranges of (nearly) equal length
// that cover it exactly.
func split(lo, hi int64, n int) []ferry.Range {
	span := hi - lo
	if span <= 0 {
		return []ferry.Range{}
	}
	k := int64(max(n, 1))
	k = min(k, span)
	out := make([]ferry.Range, 0, k)
	for i := range k {
		out = append(out, ferry.Range{Lo: lo + span*i/k, Hi: lo + span*(i+1)/k})
	}
	return out
}
