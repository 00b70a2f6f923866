package voice

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"dianbao/channels/voice/dtmf"
)

// parseTelephoneEvent reads one RFC 4733 §2.3 telephone-event payload
// (https://www.rfc-editor.org/rfc/rfc4733#section-2.3) with the dtmf package. Chrome sends
// it on the audio SSRC with its own payload type (126 at 8 kHz), so the read loop splits
// packets by type first; only the 16 DTMF keys are accepted.
func parseTelephoneEvent(b []byte) (dtmf.Event, error) {
	ev, err := dtmf.Parse(b)
	if err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadDTMF, err)
	}
	return ev, nil
}

// dtmfDigits are the keys of RFC 4733 §3.2 events 0–15.
const dtmfDigits = "0123456789*#ABCD"

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
