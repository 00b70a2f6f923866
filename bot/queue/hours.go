package queue

import (
	"fmt"
	"time"
)

// Hours are the daily service hours of the human agents, in a fixed time zone (China has a
// single zone, so a fixed +08:00 offset avoids depending on tzdata being installed).
// The zero value means always open.
type Hours struct {
	Open  string `json:"open" yaml:"open"`   // "08:00"
	Close string `json:"close" yaml:"close"` // "20:00"; Close before Open spans midnight
	// UTCOffsetHours is the zone of Open and Close; 8 (China Standard Time) when zero.
	UTCOffsetHours int `json:"utc_offset_hours,omitempty" yaml:"utc_offset_hours,omitempty"`
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not HH:MM", ErrBadHours, s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Validate reports whether both ends parse.
func (h Hours) Validate() error {
	if h.Open == "" && h.Close == "" {
		return nil
	}
	if _, err := parseClock(h.Open); err != nil {
		return err
	}
	_, err := parseClock(h.Close)
	return err
}

// Contains reports whether t falls inside the service hours.
func (h Hours) Contains(t time.Time) bool {
	if h.Open == "" && h.Close == "" {
		return true
	}
	open, err1 := parseClock(h.Open)
	closing, err2 := parseClock(h.Close)
	if err1 != nil || err2 != nil || open == closing {
		return true
	}
	off := h.UTCOffsetHours
	if off == 0 {
		off = 8
	}
	lt := t.In(time.FixedZone("", off*3600))
	m := lt.Hour()*60 + lt.Minute()
	if open < closing {
		return m >= open && m < closing
	}
	return m >= open || m < closing
}
