// Package bench holds make bench: one report of the functions' sizes, cold
// starts, latencies and scale, each next to its floor. It is a benchmark,
// not a test: these machines are shared and noisy, so it reports figures
// and never asserts them.
package bench
