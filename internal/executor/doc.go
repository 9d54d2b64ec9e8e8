// Package executor runs sync runs by themselves: workers that claim queued
// runs, retries with backoff, recovery of interrupted runs within a lease,
// and the scheduler that turns schedules into queued runs.
//
// The Executor interface has two methods, Enqueue and Work. Local is the
// implementation over Ferry's own control state (SQLite or Postgres): any
// number of processes run Work against one database; a run is claimed by
// exactly one of them (the store's claim is a conditional update, SKIP
// LOCKED in Postgres) and invariant 4 (one queued-or-running run per
// configuration) is the store's unique index, so "sync now" from two
// processes at once yields one run and an ECONFLICT naming it.
//
// States of a run as the executor drives it:
//
//	queued --claim--> running --pipeline--> succeeded | failed | cancelled
//	                     |                      |
//	                     |                      +-- failed, retryable code, attempts left:
//	                     |                          a new queued run, Attempt+1, not before
//	                     |                          now + backoff (exponential, full jitter)
//	                     +-- worker stops (SIGTERM) or dies (kill -9, lease expires):
//	                         interrupted; a live worker's maintenance enqueues a new
//	                         attempt, which resumes from the destination checkpoint
//
// The pipeline does not know who runs it: the Runner executes a claimed run
// exactly as a foreground `ferry sync` does.
//
// Time comes from an injected Clock; tests drive it (Scheduler.Tick, Local's
// poll and maintenance periods) instead of sleeping.
package executor
