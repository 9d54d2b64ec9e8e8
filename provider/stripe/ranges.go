package stripe

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/ferrysync/ferry"
)

// Ranges splits the object's whole created range into at most n disjoint
// ranges [Lo,Hi) of equal duration, to be listed concurrently. It finds the
// newest created time and the oldest with a few rounds of concurrent
// limit=1 probes (see oldest).
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
	// One round finds the newest object and brackets the oldest: the
	// newest probe goes out together with probes back from now at growing
	// distances (an hour to 16 years).
	now := c.cfg.Now().Unix()
	points := []int64{-1}
	for _, back := range []int64{3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400, 90 * 86400,
		182 * 86400, 365 * 86400, 2 * 365 * 86400, 4 * 365 * 86400, 16 * 365 * 86400} {
		if p := now - back; p > 0 {
			points = append(points, p)
		}
	}
	found, err := c.probe(ctx, info, points)
	if err != nil {
		return nil, fmt.Errorf("split stripe %s: %w", object, err)
	}
	if !found[0].ok {
		return []ferry.Range{}, nil
	}
	newest := found[0].created
	lo, hi := narrow(int64(-1), newest, points[1:], found[1:])
	oldest, err := c.oldest(ctx, info, lo, hi, newest)
	if err != nil {
		return nil, fmt.Errorf("split stripe %s: %w", object, err)
	}
	return split(oldest, newest+1, n), nil
}

// narrow tightens the bracket (lo, hi] of the oldest created time with
// probe answers: an object at or before a point moves hi down to it; no
// object at or before a point moves lo up to it.
func narrow(lo, hi int64, points []int64, found []probed) (int64, int64) {
	for i, p := range points {
		if found[i].ok && found[i].created <= p {
			hi = min(hi, found[i].created)
		}
	}
	for i, p := range points {
		if (!found[i].ok || found[i].created > p) && p < hi {
			lo = max(lo, p)
		}
	}
	return lo, hi
}

// oldest returns the smallest created time of the object, searching the
// bracket (lo, hi] (no object at or before lo; one at hi; newest is the
// newest object's time). Stripe cannot sort oldest first, so it searches
// with limit=1 probes, several at a time: a full pass waits for this before
// its first page, and at 300 ms a request, sequential probes would cost
// seconds. Each round splits the bracket into equal parts and shrinks it
// about probes-fold.
//
// The search stops once the bracket is small against the span it splits
// (1/64 of it), and returns the bracket's low end + 1: no object is at or
// before the low end, so nothing is missed, and the first range is at most
// 1.6% wider than it needs to be.
func (c *Client) oldest(ctx context.Context, info objectInfo, lo, hi, newest int64) (int64, error) {
	const probes = 12
	for hi-lo > 1 {
		if hi-lo <= max(1, (newest-hi)/64) {
			return lo + 1, nil
		}
		var points []int64
		for i := int64(1); i <= probes; i++ {
			if p := lo + (hi-lo)*i/(probes+1); p > lo && p < hi && (len(points) == 0 || p > points[len(points)-1]) {
				points = append(points, p)
			}
		}
		if len(points) == 0 {
			points = append(points, lo+(hi-lo)/2)
		}
		found, err := c.probe(ctx, info, points)
		if err != nil {
			return 0, err
		}
		lo, hi = narrow(lo, hi, points, found)
	}
	return hi, nil
}

type probed struct {
	created int64
	ok      bool
}

// probe asks newestAtOrBefore for each point concurrently.
func (c *Client) probe(ctx context.Context, info objectInfo, points []int64) ([]probed, error) {
	out := make([]probed, len(points))
	errs := make([]error, len(points))
	var wg sync.WaitGroup
	for i, p := range points {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].created, out[i].ok, errs[i] = c.newestAtOrBefore(ctx, info, p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
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
