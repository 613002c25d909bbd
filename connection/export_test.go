package connection

import "time"

// SetClock replaces the open-rate limiter's clock and timers of m (tests only).
func SetClock(m *Manager, now func() time.Time, timer func(time.Duration) (<-chan time.Time, func() bool)) {
	if m.rate != nil {
		m.rate.now = now
		m.rate.timer = timer
	}
}
