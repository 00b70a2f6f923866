package bot_test

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/deploy"
)

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"我的电话是13800138000", "我的电话是138****8000"},
		{"户号3100123456，电话１３８００１３８０００", "户号310****456，电话１３８****８０００"},
		{"0571-88001234", "0571-88****34"},
		{"解放路88号5栋1801", "解放路88号5栋1801"},
		{"", ""},
		{"\xff13800138000", "\uFFFD138****8000"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, bot.Mask(tt.in), tt.in)
	}
}

func TestTicketTransitions(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		from, to string
		ok       bool
	}{
		{bot.StatusOpen, bot.StatusDispatched, true},
		{bot.StatusDispatched, bot.StatusOnSite, true},
		{bot.StatusOnSite, bot.StatusResolved, true},
		{bot.StatusResolved, bot.StatusClosed, true},
		{bot.StatusOpen, bot.StatusResolved, true}, // desk cases
		{bot.StatusOpen, bot.StatusClosed, false},  // no 回访 yet
		{bot.StatusOnSite, bot.StatusDispatched, false},
		{bot.StatusClosed, bot.StatusOpen, false},
		{bot.StatusOpen, "done", false},
		{bot.StatusOpen, bot.StatusOpen, false},
	}
	for _, tt := range tests {
		tk := bot.Ticket{Status: tt.from}
		err := tk.Transition(tt.to, now)
		if tt.ok {
			require.NoError(t, err, "%s→%s", tt.from, tt.to)
			require.Equal(t, tt.to, tk.Status)
			require.True(t, now.Equal(tk.Updated))
		} else {
			require.ErrorIs(t, err, bot.ErrBadTransition, "%s→%s", tt.from, tt.to)
			require.Equal(t, tt.from, tk.Status)
		}
	}
	for kind, prefix := range map[string]string{"repair": "RP", "emergency": "EM", "complaint": "CP", "report": "RT",
		"suggestion": "SG", "praise": "PR", "consult": "CS", "callback": "CB"} {
		p, ok := bot.TicketPrefix(kind)
		require.True(t, ok)
		require.Equal(t, prefix, p)
	}
	_, ok := bot.TicketPrefix("bogus")
	require.False(t, ok)
}

func TestDirectory(t *testing.T) {
	d, err := bot.LoadDirectory(fstest.MapFS{
		"outages.json": {Data: []byte(`[
 {"id":"A","kind":"planned","area":"阳光花园","match":["阳光花园","阳光小区"],"cause":"检修","start":"2026-11-23T08:00:00+08:00","eta":"2026-11-23T12:00:00+08:00"},
 {"id":"B","kind":"fault","area":"翠湖","cause":"故障","start":"2026-11-25T08:00:00+08:00","eta":"2026-11-25T12:00:00+08:00"},
 {"id":"C","kind":"planned","area":"李家村","cause":"改造","start":"2026-12-20T08:00:00+08:00","eta":"2026-12-20T12:00:00+08:00"}]`)},
		"accounts.json": {Data: []byte(`[{"account":"3100123456","name":"张三","phone":"13800138000","meter":"prepaid","balance":12.5}]`)},
	})
	require.NoError(t, err)
	at := func(s string) time.Time { x, err := time.Parse(time.RFC3339, s); require.NoError(t, err); return x }
	week := 7 * 24 * time.Hour
	tests := []struct {
		name, address, now string
		want               []string
	}{
		{"in force", "阳光小区3栋", "2026-11-23T10:00:00+08:00", []string{"A"}},
		{"start is inclusive", "阳光花园", "2026-11-23T08:00:00+08:00", []string{"A"}},
		{"eta is exclusive", "阳光花园", "2026-11-23T12:00:00+08:00", nil},
		{"area used when no match", "翠湖5栋", "2026-11-23T10:00:00+08:00", []string{"B"}},
		{"beyond the horizon", "李家村", "2026-11-23T10:00:00+08:00", nil},
		{"other address", "解放路88号", "2026-11-23T10:00:00+08:00", nil},
		{"empty address", "", "2026-11-23T10:00:00+08:00", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, o := range d.Outages(tt.address, at(tt.now), week) {
			got = append(got, o.ID)
		}
		require.Equal(t, tt.want, got, tt.name)
	}
	for _, key := range []string{"3100123456", "13800138000", "138-0013-8000"} {
		a, ok := d.Account(key)
		require.True(t, ok, key)
		require.Equal(t, "张三", a.Name)
	}
	_, ok := d.Account("")
	require.False(t, ok)

	for name, data := range map[string]string{
		"broken json": `[{"id":`,
		"bad kind":    `[{"id":"X","kind":"maybe","area":"a","start":"2026-11-23T08:00:00Z","eta":"2026-11-23T09:00:00Z"}]`,
		"eta first":   `[{"id":"X","kind":"fault","area":"a","start":"2026-11-23T09:00:00Z","eta":"2026-11-23T08:00:00Z"}]`,
	} {
		_, err := bot.LoadDirectory(fstest.MapFS{"outages.json": {Data: []byte(data)}})
		require.ErrorIs(t, err, bot.ErrBadInput, name)
	}

	sample, err := bot.LoadDirectory(deploy.SampleData())
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(sample.OutageList()), 3)
	a, ok := sample.Account("13800138000")
	require.True(t, ok)
	require.Equal(t, "prepaid", a.Meter)
}

// TestLogsMaskNumbers runs turns full of phone and account numbers, a panic and a 回访
// lookup, and checks that no log line carries a number in clear.
func TestLogsMaskNumbers(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	for _, text := range []string{"家里没电", "我的户号是3100123456，电话13712345678", "13712345678", "转人工", "13712345678", "炸了"} {
		_, err := h.e.Handle(ctx, "m", bot.Input{Text: text})
		require.NoError(t, err)
	}
	_, err := h.e.Handle(ctx, "m2", bot.Input{Text: "查工单"})
	require.NoError(t, err)
	logs := h.logs.String()
	require.Contains(t, logs, "137****5678", "the numbers were logged, masked")
	require.Contains(t, logs, "310****456")
	for _, clear := range []string{"13712345678", "3100123456"} {
		require.NotContains(t, logs, clear)
	}
}

func TestFanoutNeverBlocks(t *testing.T) {
	f := bot.NewFanout(2)
	slow, cancel := f.Subscribe("s1")
	defer cancel()
	all, cancelAll := f.Subscribe("")
	defer cancelAll()
	evs := []bot.Event{bot.Message(bot.FromBot, "一", "", nil), bot.Message(bot.FromBot, "二", "", nil), bot.Message(bot.FromBot, "三", "", nil)}
	require.NoError(t, f.Deliver("s1", evs), "a full subscriber does not stall the publisher")
	require.Equal(t, int64(1), f.Dropped())
	require.Equal(t, "一", (<-slow).Text)
	require.Equal(t, "二", (<-slow).Text)
	require.Empty(t, all, "a key's events go to its subscribers only")
	require.NoError(t, f.Close())
	_, open := <-all
	require.False(t, open)
	require.ErrorIs(t, f.Deliver("s1", evs), bot.ErrClosed)
}
