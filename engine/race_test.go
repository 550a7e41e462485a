//go:build race

package engine

// raceEnabled: memory measurements say nothing under the race detector (flow_test.go).
const raceEnabled = true
