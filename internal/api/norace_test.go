//go:build !race

package api_test

const raceScale = 1
