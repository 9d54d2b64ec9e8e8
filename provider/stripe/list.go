package stripe

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/provider"
	"github.com/ferrysync/ferry/provider/jsonscan"
)

// pageSize is Stripe's maximum list limit.
const pageSize = 100

// List returns one page (up to 100 records) of the object's records created
// in r, newest first, after cursor (the id of the last record of the previous
// page, "" for the first). Stripe walks a list with starting_after, so the
// pages of one range are sequential; concurrency comes from fetching several
// ranges at once (see Ranges).
func (c *Client) List(ctx context.Context, object string, r ferry.Range, cursor string) (provider.Page, error) {
	info, err := lookup(object)
	if err != nil {
		return provider.Page{}, fmt.Errorf("list stripe %s: %w", object, err)
	}
	q := info.query()
	q.Set("limit", strconv.Itoa(pageSize))
	q.Set("created[gte]", strconv.FormatInt(r.Lo, 10))
	if r.Hi > 0 {
		q.Set("created[lt]", strconv.FormatInt(r.Hi, 10))
	}
	if cursor != "" {
		q.Set("starting_after", cursor)
	}
	body, err := c.get(ctx, info.path, q)
	if err != nil {
		return provider.Page{}, fmt.Errorf("list stripe %s: %w", object, err)
	}
	p, err := parsePage(body)
	if err != nil {
		return provider.Page{}, fmt.Errorf("list stripe %s: %w", object, err)
	}
	page := provider.Page{Records: p.records, Cursor: cursor, Done: !p.hasMore}
	if n := len(p.records); n > 0 {
		page.Cursor = p.records[n-1].ID
	} else {
		// has_more with an empty page cannot be walked further.
		page.Done = true
	}
	return page, nil
}

// page is a parsed list answer.
type page struct {
	records []ferry.Record
	hasMore bool
}

// parsePage parses a Stripe list answer {"data": [...], "has_more": bool}.
// Each record keeps the object's exact bytes; only id and created are
// decoded from it.
func parsePage(body []byte) (page, error) {
	var list struct {
		Object  string            `json:"object"`
		Data    []json.RawMessage `json:"data"`
		HasMore bool              `json:"has_more"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return page{}, ferry.Wrap(ferry.EUNAVAILABLE, err, "stripe sent a list that is not JSON")
	}
	if list.Object != "" && list.Object != "list" {
		return page{}, ferry.Errorf(ferry.EUNAVAILABLE, "stripe sent a %q where a list was expected", list.Object)
	}
	p := page{records: make([]ferry.Record, 0, len(list.Data)), hasMore: list.HasMore}
	for i, raw := range list.Data {
		h, err := parseHead(raw)
		if err != nil {
			return page{}, ferry.Wrap(ferry.EUNAVAILABLE, err, "stripe sent a malformed list item %d", i)
		}
		p.records = append(p.records, ferry.Record{ID: h.ID, Created: h.Created, Raw: raw})
	}
	return p, nil
}

// head is what Ferry reads of any Stripe object.
type head struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
}

func parseHead(raw json.RawMessage) (head, error) {
	// A scan, not a decode: this runs for every object of a backfill, and
	// decoding skipped through all ~30 fields of each with reflection.
	var h head
	var bad error
	err := jsonscan.Members(raw, func(k, v []byte) {
		switch string(k) {
		case "id":
			if err := json.Unmarshal(v, &h.ID); err != nil {
				bad = fmt.Errorf("id: %w", err)
			}
		case "object":
			if err := json.Unmarshal(v, &h.Object); err != nil {
				bad = fmt.Errorf("object: %w", err)
			}
		case "created":
			if err := json.Unmarshal(v, &h.Created); err != nil {
				bad = fmt.Errorf("created: %w", err)
			}
		}
	})
	if err = cmp.Or(err, bad); err != nil {
		return head{}, err
	}
	if h.ID == "" {
		return head{}, fmt.Errorf("object without id")
	}
	return h, nil
}
