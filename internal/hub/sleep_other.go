//go:build !linux

package hub

import "time"

// sleepExactly sleeps for about d; only on Linux is the end exact.
func sleepExactly(d time.Duration) { time.Sleep(d) }
