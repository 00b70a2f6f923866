package dtmf_test

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"

	"dianbao/channels/voice/dtmf"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    dtmf.Event
		key     rune
		err     error
	}{
		{"digit 5 start", []byte{5, 0x0a, 0x00, 0xa0}, dtmf.Event{Code: 5, Volume: 10, Duration: 160}, '5', nil},
		{"hash end", []byte{11, 0x8a, 0x03, 0x20}, dtmf.Event{Code: 11, End: true, Volume: 10, Duration: 800}, '#', nil},
		{"star, R bit ignored", []byte{10, 0x40 | 0x3f, 0, 0}, dtmf.Event{Code: 10, Volume: 63}, '*', nil},
		{"D", []byte{15, 0, 0xff, 0xff}, dtmf.Event{Code: 15, Duration: 65535}, 'D', nil},
		{"short", []byte{1, 2, 3}, dtmf.Event{}, 0, dtmf.ErrShortPayload},
		{"empty", nil, dtmf.Event{}, 0, dtmf.ErrShortPayload},
		{"flash hook is not DTMF", []byte{16, 0x80, 0, 1}, dtmf.Event{Code: 16, End: true, Duration: 1}, 0, dtmf.ErrUnknownEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := dtmf.Parse(tc.payload)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, ev)
			require.Equal(t, tc.key, ev.Key())
			back, err := dtmf.Parse(ev.Marshal())
			require.NoError(t, err)
			require.Equal(t, ev, back)
		})
	}
}

func TestGeneratorFollowsRFC4733(t *testing.T) {
	g := &dtmf.Generator{SSRC: 0xdeadbeef, Seq: 100, Timestamp: 8000}
	pkts, err := g.Key('7', 120*time.Millisecond)
	require.NoError(t, err)
	// 0, 50, 100 ms updates + 3 end packets.
	require.Len(t, pkts, 6)
	require.True(t, pkts[0].Marker, "first packet of an event has the marker bit")
	for i, p := range pkts {
		require.EqualValues(t, 126, p.PayloadType)
		require.EqualValues(t, 0xdeadbeef, p.SSRC)
		require.EqualValues(t, 100+i, p.SequenceNumber)
		require.EqualValues(t, 8000, p.Timestamp, "one timestamp for the whole event")
		if i > 0 {
			require.False(t, p.Marker)
		}
		ev, err := dtmf.Parse(p.Payload)
		require.NoError(t, err)
		require.Equal(t, '7', ev.Key())
		require.Equal(t, i >= 3, ev.End)
	}
	end, _ := dtmf.Parse(pkts[5].Payload)
	require.EqualValues(t, 960, end.Duration, "120 ms at 8 kHz")
	next, err := g.Key('#', 100*time.Millisecond)
	require.NoError(t, err)
	require.Greater(t, next[0].Timestamp, uint32(8000+960))
	// Round trip through the wire format.
	raw, err := pkts[0].Marshal()
	require.NoError(t, err)
	var p rtp.Packet
	require.NoError(t, p.Unmarshal(raw))
	require.Equal(t, pkts[0].Payload, p.Payload)
	_, err = g.Key('x', time.Second)
	require.ErrorIs(t, err, dtmf.ErrUnknownKey)
}

func collect(t *testing.T, c *dtmf.Collector, pkts []*rtp.Packet) []dtmf.Result {
	t.Helper()
	var out []dtmf.Result
	for _, p := range pkts {
		res, err := c.PushRTP(p)
		require.NoError(t, err)
		out = append(out, res...)
	}
	return out
}

func TestCollector(t *testing.T) {
	key := func(d string) dtmf.Result { return dtmf.Result{Kind: dtmf.KindKey, Digits: d} }
	entry := func(d string) dtmf.Result { return dtmf.Result{Kind: dtmf.KindEntry, Digits: d} }
	cleared := dtmf.Result{Kind: dtmf.KindCleared}
	tests := []struct {
		name   string
		mode   dtmf.Mode
		keys   string
		maxDig int
		drop   func(i int, p *rtp.Packet) bool // packets lost in the network
		want   []dtmf.Result
	}{
		{name: "menu choice", mode: dtmf.ModeSingle, keys: "1", want: []dtmf.Result{key("1")}},
		{name: "each key is a choice", mode: dtmf.ModeSingle, keys: "2#*", want: []dtmf.Result{key("2"), key("#"), key("*")}},
		{name: "phone number ended by #", mode: dtmf.ModeEntry, keys: "13800138000#", want: []dtmf.Result{entry("13800138000")}},
		{name: "star clears a mistake", mode: dtmf.ModeEntry, keys: "31001*3100123456#", want: []dtmf.Result{cleared, entry("3100123456")}},
		{name: "hash alone ends nothing", mode: dtmf.ModeEntry, keys: "#", want: nil},
		{name: "max digits completes the entry", mode: dtmf.ModeEntry, keys: "12345678", maxDig: 4, want: []dtmf.Result{entry("1234"), entry("5678")}},
		{
			name: "lost end packets still count the key", mode: dtmf.ModeSingle, keys: "12",
			drop: func(i int, p *rtp.Packet) bool { // all end packets of the first key
				ev, _ := dtmf.Parse(p.Payload)
				return ev.End && ev.Key() == '1'
			},
			want: []dtmf.Result{key("1"), key("2")},
		},
		{
			name: "only the last end packet arrives", mode: dtmf.ModeEntry, keys: "99#",
			drop: func(i int, p *rtp.Packet) bool { ev, _ := dtmf.Parse(p.Payload); return !ev.End || i%6 == 3 },
			want: []dtmf.Result{entry("99")},
		},
		{
			name: "the same key twice is two presses", mode: dtmf.ModeEntry, keys: "55#",
			want: []dtmf.Result{entry("55")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dtmf.NewCollector(dtmf.CollectorConfig{MaxDigits: tc.maxDig})
			c.SetMode(tc.mode)
			require.Equal(t, tc.mode, c.Mode())
			g := &dtmf.Generator{SSRC: 1, Timestamp: 1000}
			pkts, err := g.Keys(tc.keys, 100*time.Millisecond)
			require.NoError(t, err)
			var kept []*rtp.Packet
			for i, p := range pkts {
				if tc.drop == nil || !tc.drop(i, p) {
					kept = append(kept, p)
				}
			}
			require.Equal(t, tc.want, collect(t, c, kept))
		})
	}
}

func TestCollectorFlushAndBadPackets(t *testing.T) {
	c := dtmf.NewCollector(dtmf.CollectorConfig{})
	c.SetMode(dtmf.ModeEntry)
	g := &dtmf.Generator{}
	pkts, err := g.Keys("0571", 80*time.Millisecond)
	require.NoError(t, err)
	require.Empty(t, collect(t, c, pkts))
	require.Equal(t, "0571", c.Pending())
	r, ok := c.Flush()
	require.True(t, ok)
	require.Equal(t, dtmf.Result{Kind: dtmf.KindEntry, Digits: "0571"}, r)
	_, ok = c.Flush()
	require.False(t, ok)

	_, err = c.PushRTP(&rtp.Packet{Header: rtp.Header{PayloadType: 111}, Payload: []byte{1, 2, 3, 4}})
	require.ErrorIs(t, err, dtmf.ErrPayloadType, "Opus packets are not DTMF")
	_, err = c.PushRTP(nil)
	require.ErrorIs(t, err, dtmf.ErrPayloadType)
	_, err = c.PushRTP(&rtp.Packet{Header: rtp.Header{PayloadType: 126}, Payload: []byte{1}})
	require.ErrorIs(t, err, dtmf.ErrShortPayload)
	_, err = c.Push(dtmf.Event{Code: 40}, 1)
	require.ErrorIs(t, err, dtmf.ErrUnknownEvent)

	// Switching mode drops a partial entry.
	pkts, _ = g.Keys("12", 80*time.Millisecond)
	collect(t, c, pkts)
	c.SetMode(dtmf.ModeSingle)
	require.Empty(t, c.Pending())
	require.Equal(t, "entry", dtmf.KindEntry.String())
}

func FuzzParse(f *testing.F) {
	f.Add([]byte{5, 0x8a, 0, 160})
	f.Fuzz(func(t *testing.T, b []byte) {
		c := dtmf.NewCollector(dtmf.CollectorConfig{})
		ev, err := dtmf.Parse(b)
		if err == nil {
			_, _ = c.Push(ev, 1)
		}
	})
}
