// Package pipeline runs one sync configuration once: fetch -> transform ->
// batch -> upsert -> checkpoint -> log.
//
// Stages run concurrently with bounded buffers, so memory stays flat however
// many records a run moves:
//
//	fetchers (Concurrency goroutines, one range each at a time; they also transform)
//	   -> pages (channel, Concurrency deep)
//	collector (one goroutine: cuts batches of BatchSize rows, snapshots the checkpoint)
//	   -> batches (channel, one deep: the next batch fills while one commits)
//	writer (one goroutine: destination Write, then the observer's batch log)
//
// Invariant: a checkpoint moves only after the data it covers is durable.
// Each batch carries the checkpoint as of its last page and the destination
// commits both in one transaction; batches commit in the order they were cut,
// and pages of one range arrive in order, so the stored checkpoint never runs
// ahead of the stored rows. A run killed at any point restarts from the last
// committed batch; upserts are keyed, so records fetched again change nothing.
//
// Modes. A full run lists every object through the provider's Lister, in
// ranges fetched concurrently, and records each id as seen by the run's
// sweep; when every range is done, rows the sweep did not see are
// soft-deleted. An interrupted full run resumes its ranges from their
// cursors. An incremental run lists objects created since the created
// watermark (inclusive, so ties on the watermark second are read again
// rather than missed; the upsert makes that harmless), then applies the
// provider's change feed since the events watermark (updates and deletes),
// and saves both watermarks last. The backfill position and the incremental
// watermarks are stored separately.
package pipeline
