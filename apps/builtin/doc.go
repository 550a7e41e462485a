// Package builtin holds wsgate's built-in applications: echo and broadcast, the kinds a
// configuration file names.
package builtin
