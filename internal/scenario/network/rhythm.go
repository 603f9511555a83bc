package network

import "time"

// The enterprise works office hours in UTC (the scenario's clock): activity
// is a piecewise-linear function of the hour, one shape for weekdays and a
// low, flat one for weekends, 1 at the weekday peak.

type point struct{ hour, level float64 }

var (
	weekday = []point{{0, 0.06}, {6, 0.06}, {7, 0.2}, {8, 0.7}, {9, 1}, {12, 1}, {12.5, 0.75},
		{13.5, 0.95}, {17, 0.9}, {18, 0.5}, {19, 0.25}, {22, 0.12}, {24, 0.06}}
	weekend = []point{{0, 0.05}, {9, 0.06}, {11, 0.12}, {17, 0.12}, {21, 0.08}, {24, 0.05}}
)

// level returns the level of activity at t, between 0 and 1.
func level(t time.Time) float64 {
	t = t.UTC()
	shape := weekday
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		shape = weekend
	}
	h := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
	for i := 1; i < len(shape); i++ {
		a, b := shape[i-1], shape[i]
		if h <= b.hour {
			return a.level + (b.level-a.level)*(h-a.hour)/(b.hour-a.hour)
		}
	}
	return shape[len(shape)-1].level
}

// workHours reports whether t is a weekday between 08:00 and 18:00.
func workHours(t time.Time) bool {
	t = t.UTC()
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday && t.Hour() >= 8 && t.Hour() < 18
}
