package hub

import (
	"time"

	"golang.org/x/sys/unix"
)

// sleepExactly blocks the calling thread for d in the kernel
// (clock_nanosleep), which wakes it within the timer slack (50 µs by
// default, independent of when the sleep began). The runtime hands the
// thread's processor to other goroutines meanwhile.
func sleepExactly(d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	for {
		err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &ts, &ts)
		if err != unix.EINTR {
			return
		}
	}
}
