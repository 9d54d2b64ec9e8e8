package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ferrysync/ferry"
)

// Schedule is when a configuration runs by itself.
type Schedule struct {
	Config   string
	Spec     string // "every 15m" or a 5-field cron expression
	Timezone string // IANA name; "" is UTC
	Active   bool   // the schedule tier of pausing
	NextAt   time.Time
}

const scheduleCols = "config, spec, timezone, active, next_at"

func scanSchedule(sc interface{ Scan(...any) error }) (Schedule, error) {
	var s Schedule
	err := sc.Scan(&s.Config, &s.Spec, &s.Timezone, &s.Active, timeCol{&s.NextAt})
	return s, err
}

// PutSchedule sets the configuration's schedule and reports whether it
// changed; a changed spec or time zone resets NextAt (the caller computes
// it). An empty Spec removes the schedule.
func (s *Store) PutSchedule(ctx context.Context, sch Schedule) (changed bool, err error) {
	cur, err := s.GetSchedule(ctx, sch.Config)
	switch {
	case ferry.ErrorCode(err) == ferry.ENOTFOUND:
		if sch.Spec == "" {
			return false, nil
		}
		_, err = s.exec(ctx, s.db, "INSERT INTO schedules ("+scheduleCols+", updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			sch.Config, sch.Spec, sch.Timezone, sch.Active, s.tv(sch.NextAt), s.tv(s.now()))
		if isForeignKey(err) {
			return false, ferry.Errorf(ferry.ENOTFOUND, "sync config %q does not exist", sch.Config)
		}
		return err == nil, s.dbErr(err, "create schedule")
	case err != nil:
		return false, err
	case sch.Spec == "":
		_, err = s.exec(ctx, s.db, "DELETE FROM schedules WHERE config = ?", sch.Config)
		return err == nil, s.dbErr(err, "delete schedule")
	case cur.Spec == sch.Spec && cur.Timezone == sch.Timezone && cur.Active == sch.Active:
		return false, nil
	}
	next := cur.NextAt
	if cur.Spec != sch.Spec || cur.Timezone != sch.Timezone {
		next = sch.NextAt
	}
	_, err = s.exec(ctx, s.db, "UPDATE schedules SET spec = ?, timezone = ?, active = ?, next_at = ?, updated_at = ? WHERE config = ?",
		sch.Spec, sch.Timezone, sch.Active, s.tv(next), s.tv(s.now()), sch.Config)
	return err == nil, s.dbErr(err, "update schedule")
}

// GetSchedule returns the configuration's schedule, or ENOTFOUND.
func (s *Store) GetSchedule(ctx context.Context, config string) (Schedule, error) {
	sch, err := scanSchedule(s.queryRow(ctx, s.db, "SELECT "+scheduleCols+" FROM schedules WHERE config = ?", config))
	if errors.Is(err, sql.ErrNoRows) {
		return sch, ferry.Errorf(ferry.ENOTFOUND, "sync %s has no schedule", config)
	}
	return sch, s.dbErr(err, "get schedule")
}

// ListSchedules returns every schedule, by configuration name.
func (s *Store) ListSchedules(ctx context.Context) ([]Schedule, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+scheduleCols+" FROM schedules ORDER BY config")
	if err != nil {
		return nil, s.dbErr(err, "list schedules")
	}
	defer rows.Close()
	var out []Schedule
	for rows.Next() {
		sch, err := scanSchedule(rows)
		if err != nil {
			return nil, s.dbErr(err, "list schedules")
		}
		out = append(out, sch)
	}
	return out, s.dbErr(rows.Err(), "list schedules")
}

// DueSchedules returns the schedules whose next fire time is at or before
// now, or not computed yet.
func (s *Store) DueSchedules(ctx context.Context, now time.Time) ([]Schedule, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+scheduleCols+" FROM schedules WHERE next_at IS NULL OR next_at <= ? ORDER BY next_at, config", s.tv(now))
	if err != nil {
		return nil, s.dbErr(err, "list due schedules")
	}
	defer rows.Close()
	var out []Schedule
	for rows.Next() {
		sch, err := scanSchedule(rows)
		if err != nil {
			return nil, s.dbErr(err, "list due schedules")
		}
		out = append(out, sch)
	}
	return out, s.dbErr(rows.Err(), "list due schedules")
}

// AdvanceSchedule moves the schedule's next fire time from from to to, only
// if it is still from: of several schedulers (processes) that see the same
// due time, exactly one wins and fires it.
func (s *Store) AdvanceSchedule(ctx context.Context, config string, from, to time.Time) (bool, error) {
	var res sql.Result
	var err error
	if from.IsZero() {
		res, err = s.exec(ctx, s.db, "UPDATE schedules SET next_at = ? WHERE config = ? AND next_at IS NULL", s.tv(to), config)
	} else {
		res, err = s.exec(ctx, s.db, "UPDATE schedules SET next_at = ? WHERE config = ? AND next_at = ?", s.tv(to), config, s.tv(from))
	}
	if err != nil {
		return false, s.dbErr(err, "advance schedule")
	}
	n, err := res.RowsAffected()
	return n == 1, s.dbErr(err, "advance schedule")
}

// Tier is a level of pausing.
type Tier string

const (
	TierProject  Tier = "project"
	TierSync     Tier = "sync"
	TierSchedule Tier = "schedule"
)

// SetActive pauses (active false) or resumes a project, a sync
// configuration or a configuration's schedule. ENOTFOUND when it does not
// exist.
func (s *Store) SetActive(ctx context.Context, tier Tier, name string, active bool) error {
	var q string
	switch tier {
	case TierProject:
		q = "UPDATE projects SET active = ?, updated_at = ? WHERE name = ?"
	case TierSync:
		q = "UPDATE sync_configs SET active = ?, updated_at = ? WHERE name = ?"
	case TierSchedule:
		q = "UPDATE schedules SET active = ?, updated_at = ? WHERE config = ?"
	default:
		return ferry.Errorf(ferry.EINVALID, "%q is not project, sync or schedule", tier)
	}
	res, err := s.exec(ctx, s.db, q, active, s.tv(s.now()), name)
	if err != nil {
		return s.dbErr(err, "set "+string(tier)+" active")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if tier == TierSchedule {
			return ferry.Errorf(ferry.ENOTFOUND, "sync %s has no schedule", name)
		}
		return ferry.Errorf(ferry.ENOTFOUND, "%s %s does not exist", tier, name)
	}
	return nil
}
