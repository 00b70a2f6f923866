package dtmf

import (
	"encoding/binary"
	"fmt"
)

// Event is one RFC 4733 telephone-event payload (§2.3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	|     event     |E|R| volume    |          duration             |
type Event struct {
	Code     uint8  // 0–9, 10 '*', 11 '#', 12–15 'A'–'D'
	End      bool   // E bit: last packet(s) of the event
	Volume   uint8  // power level in -dBm0, 0–63
	Duration uint16 // in RTP timestamp units since the event's timestamp
}

// keys maps event codes 0–15 to their keys (RFC 4733 §3.2, table 7).
const keys = "0123456789*#ABCD"

// Key returns the key of a DTMF event code, or 0 for other events.
func (e Event) Key() rune {
	if int(e.Code) < len(keys) {
		return rune(keys[e.Code])
	}
	return 0
}

// CodeOf returns the event code of a key ('0'–'9', '*', '#', 'A'–'D').
func CodeOf(key rune) (uint8, error) {
	for i, k := range keys {
		if k == key {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownKey, key)
}

// Parse decodes a telephone-event payload. Extra bytes (redundant events, RFC 4733 §2.5.1.5
// style blocks are not used by browsers) are ignored.
func Parse(payload []byte) (Event, error) {
	if len(payload) < 4 {
		return Event{}, fmt.Errorf("%w: %d bytes", ErrShortPayload, len(payload))
	}
	ev := Event{
		Code:     payload[0],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(payload[2:4]),
	}
	if ev.Code > 15 {
		return ev, fmt.Errorf("%w: code %d", ErrUnknownEvent, ev.Code)
	}
	return ev, nil
}

// Marshal encodes the payload (4 bytes; the R bit is zero as §2.3 requires).
func (e Event) Marshal() []byte {
	b := make([]byte, 4)
	b[0] = e.Code
	b[1] = e.Volume & 0x3f
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
	return b
}
