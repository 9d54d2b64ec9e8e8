//go:build race

package api_test

// The race detector slows the sync under the records walk about tenfold:
// check with fewer records there; the ordinary run walks 100,000.
const raceScale = 5
