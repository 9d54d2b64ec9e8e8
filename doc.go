// Package ferry is Ferry's domain vocabulary: records, objects and their
// fields, checkpoints, projects, connections, sync configurations, runs and
// the coded error type. It imports nothing but the standard library, and
// every other package of Ferry speaks in its terms.
package ferry
