// Package schedule parses the two schedule forms Ferry accepts and computes
// their next fire times. It is pure: no clock, no I/O; callers pass the time.
//
//	every 15m            a fixed interval (Go duration, at least 1m), aligned to
//	                     multiples of the interval since the Unix epoch, so every
//	                     process computes the same fire times
//	0 3 * * *            a 5-field cron expression (minute hour day-of-month month
//	                     day-of-week) in a time zone: lists (1,15), ranges (1-5),
//	                     steps (*/10, 0-30/5), names (jan-dec, sun-sat), and the
//	                     macros @hourly @daily @weekly @monthly @yearly
//
// As in Vixie cron, when both day-of-month and day-of-week are restricted a
// day matches if either does. A wall time skipped by a DST jump does not
// fire that day; a wall time repeated when clocks go back may fire twice.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones work on machines without /usr/share/zoneinfo
)

// Schedule is a parsed schedule.
type Schedule struct {
	spec  string
	every time.Duration
	loc   *time.Location
	// bit sets of allowed values
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
}

// String returns the spec as written.
func (s *Schedule) String() string { return s.spec }

// Location is the schedule's time zone (UTC for intervals).
func (s *Schedule) Location() *time.Location { return s.loc }

// Parse parses spec ("every 15m" or a cron expression) in the time zone tz
// (an IANA name such as Europe/Paris; empty means UTC). Intervals ignore tz.
func Parse(spec, tz string) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("time zone %q is not known (use an IANA name such as Europe/Paris)", tz)
		}
		loc = l
	}
	s := &Schedule{spec: spec, loc: loc}
	if rest, ok := strings.CutPrefix(spec, "every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %q is not a duration (write e.g. every 15m, every 2h)", spec, strings.TrimSpace(rest))
		}
		if d < time.Minute || d%time.Second != 0 {
			return nil, fmt.Errorf("schedule %q: the interval must be at least 1m and whole seconds", spec)
		}
		s.every = d
		s.loc = time.UTC
		return s, nil
	}
	expr := spec
	switch spec {
	case "@hourly":
		expr = "0 * * * *"
	case "@daily", "@midnight":
		expr = "0 0 * * *"
	case "@weekly":
		expr = "0 0 * * 0"
	case "@monthly":
		expr = "0 0 1 * *"
	case "@yearly", "@annually":
		expr = "0 0 1 1 *"
	}
	f := strings.Fields(expr)
	if len(f) != 5 {
		return nil, fmt.Errorf("schedule %q: want \"every DURATION\" or 5 cron fields (minute hour day-of-month month day-of-week), got %d fields", spec, len(f))
	}
	var err error
	if s.minute, err = field(f[0], 0, 59, nil); err != nil {
		return nil, fmt.Errorf("schedule %q: minute: %w", spec, err)
	}
	if s.hour, err = field(f[1], 0, 23, nil); err != nil {
		return nil, fmt.Errorf("schedule %q: hour: %w", spec, err)
	}
	if s.dom, err = field(f[2], 1, 31, nil); err != nil {
		return nil, fmt.Errorf("schedule %q: day of month: %w", spec, err)
	}
	if s.month, err = field(f[3], 1, 12, monthNames); err != nil {
		return nil, fmt.Errorf("schedule %q: month: %w", spec, err)
	}
	if s.dow, err = field(f[4], 0, 7, dayNames); err != nil {
		return nil, fmt.Errorf("schedule %q: day of week: %w", spec, err)
	}
	if s.dow&(1<<7) != 0 { // 7 is Sunday too
		s.dow |= 1
	}
	s.domStar, s.dowStar = f[2] == "*" || strings.HasPrefix(f[2], "*/"), f[4] == "*" || strings.HasPrefix(f[4], "*/")
	return s, nil
}

var monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
var dayNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// field parses one cron field into a bit set.
func field(f string, lo, hi int, names map[string]int) (uint64, error) {
	var bits uint64
	for part := range strings.SplitSeq(f, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("step %q is not a positive number", stepStr)
			}
			step = n
		}
		var from, to int
		switch {
		case rng == "*":
			from, to = lo, hi
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = value(a, lo, hi, names); err != nil {
				return 0, err
			}
			if to, err = value(b, lo, hi, names); err != nil {
				return 0, err
			}
			if from > to {
				return 0, fmt.Errorf("range %q goes backwards", rng)
			}
		default:
			v, err := value(rng, lo, hi, names)
			if err != nil {
				return 0, err
			}
			from, to = v, v
			if hasStep {
				to = hi
			}
		}
		for v := from; v <= to; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

func value(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", v, lo, hi)
	}
	return v, nil
}

// Next returns the first fire time strictly after t, in UTC. It returns the
// zero time if the expression never fires (such as 0 0 30 2 *).
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		return t.UTC().Truncate(s.every).Add(s.every)
	}
	t = t.In(s.loc).Truncate(time.Minute).Add(time.Minute)
	// Walk forward field by field; give up after five years.
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		if s.month&(1<<uint(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, s.loc)
			continue
		}
		if !s.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, s.loc)
			continue
		}
		if s.hour&(1<<uint(t.Hour())) == 0 {
			next := time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, s.loc)
			if !next.After(t) { // DST fall-back repeats the hour: step past it
				next = t.Add(time.Hour).Truncate(time.Hour)
			}
			t = next
			continue
		}
		if s.minute&(1<<uint(t.Minute())) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		return t.UTC()
	}
	return time.Time{}
}

func (s *Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}
