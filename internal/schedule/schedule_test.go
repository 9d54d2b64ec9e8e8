package schedule

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		spec, tz, from string
		want           []string // successive fire times
	}{
		{"every 15m", "", "2026-01-01T10:07:00Z", []string{"2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z", "2026-01-01T10:45:00Z"}},
		{"every 15m", "", "2026-01-01T10:15:00Z", []string{"2026-01-01T10:30:00Z"}},
		{"every 2h", "Europe/Paris", "2026-01-01T03:00:00Z", []string{"2026-01-01T04:00:00Z", "2026-01-01T06:00:00Z"}},
		{"0 3 * * *", "", "2026-01-01T02:59:59Z", []string{"2026-01-01T03:00:00Z", "2026-01-02T03:00:00Z"}},
		{"0 3 * * *", "Europe/Paris", "2026-01-01T00:00:00Z", []string{"2026-01-01T02:00:00Z", "2026-01-02T02:00:00Z"}},
		// Summer time: 03:00 in Paris is 01:00 UTC.
		{"0 3 * * *", "Europe/Paris", "2026-07-01T00:00:00Z", []string{"2026-07-01T01:00:00Z"}},
		// Spring forward (29 March 2026): 02:30 does not exist in Paris that day.
		{"30 2 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", []string{"2026-03-30T00:30:00Z"}},
		{"*/20 9-10 * * mon-fri", "", "2026-01-02T10:41:00Z", []string{"2026-01-05T09:00:00Z", "2026-01-05T09:20:00Z", "2026-01-05T09:40:00Z", "2026-01-05T10:00:00Z"}},
		{"0 0 1,15 feb *", "", "2026-01-20T00:00:00Z", []string{"2026-02-01T00:00:00Z", "2026-02-15T00:00:00Z", "2027-02-01T00:00:00Z"}},
		// Both day fields restricted: either matches (13th or a Friday).
		{"0 12 13 * 5", "", "2026-02-01T00:00:00Z", []string{"2026-02-06T12:00:00Z", "2026-02-13T12:00:00Z", "2026-02-20T12:00:00Z"}},
		{"0 0 * * 7", "", "2026-01-01T00:00:00Z", []string{"2026-01-04T00:00:00Z"}},
		{"@hourly", "", "2026-01-01T00:30:00Z", []string{"2026-01-01T01:00:00Z"}},
		{"0 0 29 2 *", "", "2026-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z"}},
		{"0 0 30 2 *", "", "2026-03-01T00:00:00Z", []string{"0001-01-01T00:00:00Z"}},
	} {
		s, err := Parse(tc.spec, tc.tz)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		at := utc(tc.from)
		for _, w := range tc.want {
			at = s.Next(at)
			if !at.Equal(utc(w)) {
				t.Errorf("%q in %q: next = %s, want %s", tc.spec, tc.tz, at.Format(time.RFC3339), w)
				break
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"", "every", "every 10s", "every banana", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *",
		"* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "* * * foo *", "1,,2 * * * *"} {
		if _, err := Parse(spec, ""); err == nil {
			t.Errorf("Parse(%q) accepted", spec)
		}
	}
	if _, err := Parse("0 3 * * *", "Mars/Olympus"); err == nil {
		t.Error("unknown time zone accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"every 15m", "0 3 * * *", "*/5 1-3,7 * jan-mar mon", "@daily"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec, "Europe/Paris")
		if err != nil {
			return
		}
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if n := s.Next(from); !n.IsZero() && !n.After(from) {
			t.Fatalf("%q: next %s is not after %s", spec, n, from)
		}
	})
}
