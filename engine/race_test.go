//go:build race

package engine

// raceEnabled: the race detector's shadow memory inflates RSS; tests bounding RSS use the heap then.
const raceEnabled = true
