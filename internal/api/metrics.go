package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferrysync/ferry"
)

// batchBuckets are the batch latency histogram's upper bounds.
var batchBuckets = []time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second,
}

var (
	descRuns    = prometheus.NewDesc("ferry_runs", "Runs in the control state by status (history included).", []string{"status"}, nil)
	descQueue   = prometheus.NewDesc("ferry_queue_depth", "Runs waiting for a worker (status queued).", nil, nil)
	descRecords = prometheus.NewDesc("ferry_records_total", "Records handled by all runs of a sync configuration, by outcome (fetched, inserted, updated, unchanged, deleted, failed).",
		[]string{"sync", "outcome"}, nil)
	descBatch    = prometheus.NewDesc("ferry_batch_duration_seconds", "Time to write and commit a batch, over the batch log.", nil, nil)
	descRequests = prometheus.NewDesc("ferry_provider_requests_total", "HTTP requests to providers made by this process, by host and status code (\"error\": no response).",
		[]string{"host", "code"}, nil)
	descThrottled = prometheus.NewDesc("ferry_provider_rate_limited_total", "Provider responses with status 429 (throttled) received by this process.", []string{"host"}, nil)
	descScrapeErr = prometheus.NewDesc("ferry_metrics_error", "1 when the last scrape could not read the control state.", nil, nil)
)

// collector reads the control state at scrape time, so /metrics shows the
// runs of every process sharing it (CLI syncs, workers), and the provider
// request counters of this process.
type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRuns, descQueue, descRecords, descBatch, descRequests, descThrottled, descScrapeErr} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := c.s.app.Store()
	failed := 0.0
	if runs, err := st.RunCounts(ctx); err != nil {
		c.s.log.Warn("metrics: count runs", "error", err)
		failed = 1
	} else {
		for _, status := range []ferry.RunStatus{ferry.RunQueued, ferry.RunRunning, ferry.RunSucceeded, ferry.RunFailed, ferry.RunInterrupted, ferry.RunCancelled} {
			ch <- prometheus.MustNewConstMetric(descRuns, prometheus.GaugeValue, float64(runs[status]), string(status))
		}
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(runs[ferry.RunQueued]))
	}
	if recs, err := st.RecordCounts(ctx); err != nil {
		c.s.log.Warn("metrics: sum records", "error", err)
		failed = 1
	} else {
		for name, n := range recs {
			for _, o := range []struct {
				outcome string
				n       int64
			}{{"fetched", n.Fetched}, {"inserted", n.Inserted}, {"updated", n.Updated}, {"unchanged", n.Unchanged}, {"deleted", n.Deleted}, {"failed", n.Failed}} {
				ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(o.n), name, o.outcome)
			}
		}
	}
	if h, err := st.BatchDurations(ctx, batchBuckets); err != nil {
		c.s.log.Warn("metrics: batch durations", "error", err)
		failed = 1
	} else {
		buckets := make(map[float64]uint64, len(h.Bounds))
		for i, b := range h.Bounds {
			buckets[b.Seconds()] = h.Counts[i]
		}
		ch <- prometheus.MustNewConstHistogram(descBatch, h.Count, h.Sum.Seconds(), buckets)
	}
	throttled := map[string]uint64{}
	for _, r := range c.s.metrics.Requests() {
		ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(r.N), r.Host, r.Code)
		if r.Code == "429" {
			throttled[r.Host] += r.N
		}
	}
	for host, n := range throttled {
		ch <- prometheus.MustNewConstMetric(descThrottled, prometheus.CounterValue, float64(n), host)
	}
	ch <- prometheus.MustNewConstMetric(descScrapeErr, prometheus.GaugeValue, failed)
}

func (s *Server) newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: nil})
}
