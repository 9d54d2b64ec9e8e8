package ui

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// runChart draws records fetched (bars) and duration (line) per run as an
// inline SVG, oldest run first; "" when there is nothing to draw. Every
// value written into the SVG is a number or escaped text.
func runChart(runs []ferry.Run) template.HTML {
	if len(runs) == 0 {
		return ""
	}
	const (
		w, h                       = 640.0, 220.0
		left, right, top, bottom   = 64.0, 64.0, 16.0, 36.0
		plotW, plotH               = w - left - right, h - top - bottom
		barColor, lineColor, muted = "#7aa7e0", "#d9822b", "#6b7280"
	)
	var maxRec int64
	var maxDur time.Duration
	for _, r := range runs {
		maxRec = max(maxRec, r.Counts.Fetched)
		maxDur = max(maxDur, r.FinishedAt.Sub(r.StartedAt))
	}
	maxRec = niceCeil(maxRec)
	maxDur = niceDuration(maxDur)
	slot := plotW / float64(len(runs))
	barW := math.Max(2, math.Min(40, slot*0.6))

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="Records fetched and duration of the last %d runs" xmlns="http://www.w3.org/2000/svg">`, w, h, len(runs))
	// Axes and gridlines, with the left axis in records and the right in time.
	for i := 0; i <= 4; i++ {
		y := top + plotH - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e7eb"/>`, left, y, left+plotW, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="%s">%s</text>`, left-6, y+4, barColor, template.HTMLEscapeString(shortNum(maxRec*int64(i)/4)))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="%s">%s</text>`, left+plotW+6, y+4, lineColor, template.HTMLEscapeString(humanDuration(maxDur*time.Duration(i)/4)))
	}
	var line []string
	for i, r := range runs {
		cx := left + slot*(float64(i)+0.5)
		bh := 0.0
		if maxRec > 0 {
			bh = plotH * float64(r.Counts.Fetched) / float64(maxRec)
		}
		fill := barColor
		if r.Status != ferry.RunSucceeded {
			fill = "#e07a7a"
		}
		d := r.FinishedAt.Sub(r.StartedAt)
		tip := fmt.Sprintf("%s, %s: %s records fetched in %s (%s)", r.StartedAt.UTC().Format("2 Jan 15:04 UTC"), r.ID,
			thousands(r.Counts.Fetched), humanDuration(d), statusLabel(r.Status))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
			cx-barW/2, top+plotH-bh, barW, math.Max(bh, 0.5), fill, template.HTMLEscapeString(tip))
		line = append(line, fmt.Sprintf("%.1f,%.1f", cx, top+plotH-plotH*float64(d)/float64(maxDur)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(line, " "), lineColor)
	for _, p := range line {
		x, y, _ := strings.Cut(p, ",")
		fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`, x, y, lineColor)
	}
	// First and last run's date under the axis.
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="%s">%s</text>`, left, h-10, muted, template.HTMLEscapeString(runs[0].StartedAt.UTC().Format("2 Jan 15:04")))
	if len(runs) > 1 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end" fill="%s">%s</text>`, left+plotW, h-10, muted, template.HTMLEscapeString(runs[len(runs)-1].StartedAt.UTC().Format("2 Jan 15:04 UTC")))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten (at least 4, so
// the four gridlines get whole numbers).
func niceCeil(n int64) int64 {
	if n <= 4 {
		return 4
	}
	p := int64(1)
	for p*10 < n {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

func shortNum(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return thousands(n)
}

// niceDuration rounds d up to a duration whose quarters read well.
func niceDuration(d time.Duration) time.Duration {
	for _, n := range []time.Duration{400 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 10 * time.Second,
		20 * time.Second, 40 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 10 * time.Minute, 20 * time.Minute,
		40 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour} {
		if d <= n {
			return n
		}
	}
	return d.Truncate(time.Hour) + 4*time.Hour
}
