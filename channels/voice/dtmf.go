package voice

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// telephoneEvent is one RFC 4733 §2.3 named-event payload
// (https://www.rfc-editor.org/rfc/rfc4733#section-2.3): event code, end bit, volume and
// duration in RTP clock units.
type telephoneEvent struct {
	Event    uint8
	End      bool
	Volume   uint8
	Duration uint16
}

// parseTelephoneEvent reads the 4-byte payload; Chrome sends it on the audio SSRC with
// its own payload type (126 at 8 kHz), so the read loop splits packets by type first.
func parseTelephoneEvent(b []byte) (telephoneEvent, error) {
	if len(b) < 4 {
		return telephoneEvent{}, fmt.Errorf("%w: %d bytes, want 4", ErrBadDTMF, len(b))
	}
	ev := telephoneEvent{Event: b[0], End: b[1]&0x80 != 0, Volume: b[1] & 0x3f,
		Duration: uint16(b[2])<<8 | uint16(b[3])}
	if ev.Event > 15 {
		return ev, fmt.Errorf("%w: event %d is not a DTMF key", ErrBadDTMF, ev.Event)
	}
	return ev, nil
}

// dtmfDigits maps RFC 4733 §3.2 event codes 0–15 to keys.
const dtmfDigits = "0123456789*#ABCD"

func (e telephoneEvent) digit() string { return dtmfDigits[e.Event : e.Event+1] }

// validDigit reports whether s is one keypad key (from the widget's data channel).
func validDigit(s string) bool { return len(s) == 1 && strings.Contains(dtmfDigits, s) }

// keypad turns key presses into bot inputs: a single key picks one of the offered choices,
// other keys build an entry that '#' submits (phone and account numbers) and '*' clears.
type keypad struct {
	maxDigits int
	entry     []byte
}

// numericSlot reports the expect slots where keys are an entry, never a choice.
func numericSlot(expect string) bool {
	switch expect {
	case "phone", "account", "ticket_id":
		return true
	}
	return false
}

// press returns the input the key completes, if any.
func (k *keypad) press(digit, expect string, choices []Choice) (Input, bool) {
	switch digit {
	case "*":
		k.entry = k.entry[:0]
		return Input{}, false
	case "#":
		if len(k.entry) == 0 {
			return Input{}, false
		}
		text := string(k.entry)
		k.entry = k.entry[:0]
		return Input{Text: text}, true
	}
	if len(k.entry) == 0 && !numericSlot(expect) && len(choices) > 0 {
		if n, err := strconv.Atoi(digit); err == nil && n >= 1 && n <= len(choices) {
			v := choices[n-1].Value
			return Input{Text: v, Choice: v}, true
		}
	}
	if len(k.entry) < k.maxDigits {
		k.entry = append(k.entry, digit...)
	}
	return Input{}, false
}

// keyOptions is the spoken keypad menu for a message's choices (确认请按1，否认请按2).
func keyOptions(format string, choices []Choice) string {
	if len(choices) == 0 {
		return ""
	}
	parts := make([]string, 0, len(choices))
	for i, c := range choices {
		if i >= 9 {
			break
		}
		parts = append(parts, fmt.Sprintf(format, c.Label, i+1))
	}
	return strings.Join(parts, "，") + "。"
}

// spokenText is what the bot says for a message: its text, then the keypad menu.
func spokenText(text, format string, choices []Choice) string {
	opts := keyOptions(format, choices)
	if opts == "" {
		return text
	}
	text = strings.TrimSpace(text)
	if text != "" && !strings.ContainsAny(text[len(text)-len(lastRune(text)):], "。？！?!.，,") {
		text += "。"
	}
	return text + opts
}

func lastRune(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	return string(r[len(r)-1])
}

// promptCache keeps prompts as ready Opus packets, so a repeated prompt costs no synthesis,
// resampling or encoding in any call; it is shared by all calls and bounded, oldest out first.
type promptCache struct {
	mu    sync.Mutex
	max   int
	items map[string][][]byte
	order []string
}

func newPromptCache(max int) *promptCache {
	return &promptCache{max: max, items: make(map[string][][]byte)}
}

func (c *promptCache) get(key string) ([][]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pcm, ok := c.items[key]
	return pcm, ok
}

func (c *promptCache) put(key string, pcm [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return
	}
	for len(c.order) >= c.max {
		delete(c.items, c.order[0])
		c.order = c.order[1:]
	}
	c.items[key] = pcm
	c.order = append(c.order, key)
}
