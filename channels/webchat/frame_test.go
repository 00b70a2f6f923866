package webchat

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseFrame(t *testing.T) {
	h, err := New(Config{}, nil, nil, nil, nil)
	require.NoError(t, err)
	tests := []struct {
		name string
		raw  string
		want Frame
		err  error
	}{
		{"message", `{"type":"message","text":"  我家停电了 ","id":"c1"}`, Frame{Type: "message", Text: "我家停电了", ID: "c1"}, nil},
		{"choice copies value", `{"type":"choice","value":"跳闸了"}`, Frame{Type: "choice", Value: "跳闸了", Text: "跳闸了"}, nil},
		{"resume", `{"type":"resume","session":"abcdef0123456789"}`, Frame{Type: "resume", Session: "abcdef0123456789"}, nil},
		{"resume new", `{"type":"resume","session":""}`, Frame{Type: "resume"}, nil},
		{"rating", `{"type":"rating","value":"5"}`, Frame{Type: "rating", Value: "5"}, nil},
		{"rating out of range", `{"type":"rating","value":"9"}`, Frame{}, ErrBadType},
		{"bad session", `{"type":"resume","session":"a b"}`, Frame{}, ErrBadSession},
		{"broken", `{"type":`, Frame{}, ErrBadJSON},
		{"array", `[]`, Frame{}, ErrBadJSON},
		{"wrong field type", `{"type":"message","text":5}`, Frame{}, ErrBadJSON},
		{"invalid utf-8", "{\"type\":\"message\",\"text\":\"\xc3\x28\"}", Frame{}, ErrBadEncoding},
		{"empty", `{"type":"message","text":""}`, Frame{}, ErrEmpty},
		{"empty choice", `{"type":"choice","value":" "}`, Frame{}, ErrEmpty},
		{"unknown", `{"type":"exec"}`, Frame{}, ErrBadType},
		{"too many runes", `{"type":"message","text":"` + strings.Repeat("停", 2001) + `"}`, Frame{}, ErrTooLong},
		{"too many bytes", `{"type":"message","text":"` + strings.Repeat("x", 9000) + `"}`, Frame{}, ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := h.parseFrame([]byte(tc.raw))
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, f)
		})
	}
}
