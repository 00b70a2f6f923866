package voice

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dianbao/channels/voice/dtmf"
)

func TestParseTelephoneEvent(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    dtmf.Event
		digit   string
		err     bool
	}{
		{"key 1 start", []byte{1, 10, 0x01, 0x90}, dtmf.Event{Code: 1, Volume: 10, Duration: 400}, "1", false},
		{"key # end", []byte{11, 0x80 | 10, 0x06, 0x40}, dtmf.Event{Code: 11, End: true, Volume: 10, Duration: 1600}, "#", false},
		{"star", []byte{10, 0, 0, 0}, dtmf.Event{Code: 10}, "*", false},
		{"key D", []byte{15, 63, 0, 1}, dtmf.Event{Code: 15, Volume: 63, Duration: 1}, "D", false},
		{"too short", []byte{1, 2, 3}, dtmf.Event{}, "", true},
		{"empty", nil, dtmf.Event{}, "", true},
		{"flash is not a key", []byte{16, 0, 0, 0}, dtmf.Event{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := parseTelephoneEvent(tt.payload)
			if tt.err {
				require.ErrorIs(t, err, ErrBadDTMF)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, ev)
			require.Equal(t, tt.digit, string(ev.Key()))
		})
	}
}

func TestKeypad(t *testing.T) {
	yesNo := []Choice{{Label: "是", Value: "是"}, {Label: "不是", Value: "不是"}}
	tests := []struct {
		name    string
		keys    string
		expect  string
		choices []Choice
		want    []Input
	}{
		{"single key picks a choice", "2", "confirm", yesNo, []Input{{Text: "不是", Choice: "不是"}}},
		{"key beyond the choices starts an entry", "5#", "confirm", yesNo, []Input{{Text: "5"}}},
		{"numeric slot ignores choices", "1380#", "phone", yesNo, []Input{{Text: "1380"}}},
		{"star clears", "12*34#", "account", nil, []Input{{Text: "34"}}},
		{"hash alone does nothing", "#", "phone", nil, nil},
		{"no choices: digits wait for hash", "12", "menu", nil, nil},
		{"entry in progress keeps choice keys as digits", "51#", "confirm", yesNo, []Input{{Text: "51"}}},
		{"long entry is capped", "1234567890#", "phone", nil, []Input{{Text: "123456"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := keypad{maxDigits: 6}
			var got []Input
			for _, key := range tt.keys {
				if in, ok := k.press(string(key), tt.expect, tt.choices); ok {
					got = append(got, in)
				}
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestSpokenText(t *testing.T) {
	format := DefaultPrompts().KeyOption
	tests := []struct {
		text    string
		choices []Choice
		want    string
	}{
		{"请问您家是停电了吗？", []Choice{{Label: "确认", Value: "是"}, {Label: "否认", Value: "不是"}}, "请问您家是停电了吗？确认请按1，否认请按2。"},
		{"请选择", []Choice{{Label: "报修", Value: "报修"}}, "请选择。报修请按1。"},
		{"好的。", nil, "好的。"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, spokenText(tt.text, format, tt.choices))
	}
}

func TestAudioPayloadTypes(t *testing.T) {
	chrome := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=rtpmap:111 opus/48000/2\r\na=rtpmap:63 red/48000/2\r\na=rtpmap:9 G722/8000\r\n" +
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:13 CN/8000\r\n" +
		"a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n"
	got, err := audioPayloadTypes(chrome)
	require.NoError(t, err)
	require.Equal(t, map[uint8]bool{111: true}, got.opus)
	require.Equal(t, map[uint8]bool{110: true, 126: true}, got.dtmf)

	for _, bad := range []string{"", "garbage", "v=0\r\n"} {
		_, err := audioPayloadTypes(bad)
		require.ErrorIs(t, err, ErrBadOffer, "%q", bad)
	}
}
