package ui

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// runEvents streams a run's page body as server-sent events: an event
// "progress" with the re-rendered body whenever the run changes, and a last
// event "done" when it is final (the page's htmx then closes the stream).
// It wakes on batches committed in this process (the hub) and polls the
// control state every cfg.Poll for runs of other processes.
func (s *server) runEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.store.GetRun(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	wake, unsubscribe := s.hub.subscribe(id)
	defer unsubscribe()
	poll := time.NewTicker(s.cfg.Poll)
	defer poll.Stop()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()

	var last ferry.Run
	first := true
	for {
		d, err := s.loadRun(r, id)
		if err != nil {
			if r.Context().Err() == nil {
				s.log.Warn("live run page", "run_id", id, "error", err)
			}
			return
		}
		// Times move on their own; send when the run itself changed (or
		// every poll while it runs, so "running for" stays current).
		if first || changed(last, d.Run) || !d.Run.Status.Done() {
			var buf bytes.Buffer
			t := s.pages.sets["run"]
			if err := t.ExecuteTemplate(&buf, "runbody", d); err != nil {
				s.log.Error("render live run", "run_id", id, "error", err)
				return
			}
			if err := writeEvent(w, "progress", buf.String()); err != nil {
				return
			}
		}
		first, last = false, d.Run
		if d.Run.Status.Done() {
			_ = writeEvent(w, "done", string(d.Run.Status))
			_ = rc.Flush()
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		case <-poll.C:
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
	}
}

func changed(a, b ferry.Run) bool {
	return a.Status != b.Status || a.Counts != b.Counts || a.Batches != b.Batches || a.Total != b.Total || a.Mode != b.Mode
}

// writeEvent writes one server-sent event; each line of data becomes a data
// field (the client joins them with newlines).
func writeEvent(w http.ResponseWriter, event, data string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "event: %s\n", event)
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		b.WriteString("data: ")
		b.WriteString(strings.TrimRight(sc.Text(), "\r"))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	_, err := fmt.Fprint(w, b.String())
	return err
}
