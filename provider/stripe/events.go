package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// Retention is how long Stripe keeps events: 30 days.
const Retention = 30 * 24 * time.Hour

// chunkSize is how many records Changes hands to emit at a time.
const chunkSize = 500

// Retention returns how far back Changes can reach.
func (c *Client) Retention() time.Duration { return Retention }

// Changes walks Stripe's events of the object (newest first) created at or
// after since.Time and emits the newest snapshot of each changed object, in
// chunks of up to 500 records, one record per id across all chunks.
//
// Tie safety: the walk asks for created >= since.Time, so events of the
// watermark's own second are read again. That is harmless: every record is
// a whole snapshot and applying it again is idempotent. Reading strictly
// after the watermark's second could miss an event Stripe recorded in that
// second after the previous walk.
//
// Deletes: a *.deleted event is a tombstone (Deleted, with the last
// snapshot as Raw), except customer.subscription.deleted, which is a
// cancellation: the subscription still exists with status canceled, and
// List asks for subscriptions with status=all, so a full listing keeps it.
// Reporting it as an update keeps both paths in agreement.
//
// Only events whose data.object is of the object's kind count: customer.*
// also matches customer.discount.* and customer.subscription.*, and charge.*
// matches charge.dispute.* and charge.refund.*.
//
// The returned watermark is the (created, id) of the newest event seen, or
// since when there was none.
func (c *Client) Changes(ctx context.Context, object string, since ferry.Watermark, emit func([]ferry.Record) error) (ferry.Watermark, error) {
	info, err := lookup(object)
	if err != nil {
		return since, fmt.Errorf("read stripe %s changes: %w", object, err)
	}
	mark := since
	first := true
	seen := map[string]bool{} // ids already emitted (events come newest first)
	chunk := make([]ferry.Record, 0, chunkSize)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		if err := emit(chunk); err != nil {
			return err
		}
		chunk = make([]ferry.Record, 0, chunkSize)
		return nil
	}
	cursor := ""
	for {
		q := url.Values{}
		q.Set("limit", strconv.Itoa(pageSize))
		q.Set("type", info.eventType)
		q.Set("created[gte]", strconv.FormatInt(since.Time, 10))
		if cursor != "" {
			q.Set("starting_after", cursor)
		}
		body, err := c.get(ctx, "/v1/events", q)
		if err != nil {
			var fe *ferry.Error
			var ae *APIError
			if errors.As(err, &fe) && fe.Code == ferry.EINVALID && errors.As(err, &ae) && strings.HasPrefix(ae.Param, "created") {
				err = ferry.Wrap(ferry.EEXPIRED, err, "stripe events since %s are no longer available; a full run is needed",
					time.Unix(since.Time, 0).UTC().Format(time.RFC3339))
			}
			return since, fmt.Errorf("read stripe %s changes: %w", object, err)
		}
		events, hasMore, err := parseEvents(body)
		if err != nil {
			return since, fmt.Errorf("read stripe %s changes: %w", object, err)
		}
		for _, e := range events {
			if first {
				mark = ferry.Watermark{Time: e.Created, ID: e.ID}
				first = false
			}
			if e.Object.Object != info.kind || seen[e.Object.ID] {
				continue
			}
			seen[e.Object.ID] = true
			deleted := strings.HasSuffix(e.Type, ".deleted") && !info.cancelIsUpdate
			chunk = append(chunk, ferry.Record{ID: e.Object.ID, Created: e.Object.Created, Raw: e.Raw, Deleted: deleted})
			if len(chunk) == chunkSize {
				if err := flush(); err != nil {
					return since, err
				}
			}
		}
		if !hasMore || len(events) == 0 {
			break
		}
		cursor = events[len(events)-1].ID
	}
	if err := flush(); err != nil {
		return since, err
	}
	return mark, nil
}

// event is what Changes reads of a Stripe event.
type event struct {
	ID      string
	Type    string
	Created int64
	Object  head            // of data.object
	Raw     json.RawMessage // data.object, exact bytes
}

// parseEvents parses a page of /v1/events.
func parseEvents(body []byte) ([]event, bool, error) {
	var list struct {
		Data []struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Created int64  `json:"created"`
			Data    struct {
				Object json.RawMessage `json:"object"`
			} `json:"data"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, false, ferry.Wrap(ferry.EUNAVAILABLE, err, "stripe sent an event list that is not JSON")
	}
	events := make([]event, 0, len(list.Data))
	for i, d := range list.Data {
		if d.ID == "" {
			return nil, false, ferry.Errorf(ferry.EUNAVAILABLE, "stripe sent event %d without id", i)
		}
		h, err := parseHead(d.Data.Object)
		if err != nil {
			return nil, false, ferry.Wrap(ferry.EUNAVAILABLE, err, "stripe sent event %s with a malformed object", d.ID)
		}
		events = append(events, event{ID: d.ID, Type: d.Type, Created: d.Created, Object: h, Raw: d.Data.Object})
	}
	return events, list.HasMore, nil
}
