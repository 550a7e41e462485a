package config

import (
	_ "embed"
	"slices"
)

//go:embed example.toml
var example []byte

// Example returns a commented TOML file that lists every key with its default and
// describes the same configuration as Default (tested). The slice is a new copy.
func Example() []byte { return slices.Clone(example) }
