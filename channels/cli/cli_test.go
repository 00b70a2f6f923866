package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/store"
	"dianbao/channels/cli"
	"dianbao/dialogs"
	"dianbao/nlu"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// echoParser and echoDialogs make a tiny deterministic bot: the golden files pin the
// channel's output format, not the real dialogs (tested in their own package).
type echoParser struct{}

func (echoParser) Parse(text string) nlu.Result {
	if text == "再见" {
		return nlu.Result{Text: text, Intent: nlu.IntentGoodbye}
	}
	return nlu.Result{Text: text, Intent: text}
}

type echoDialogs struct{}

func (echoDialogs) Step(st dialogs.State, t dialogs.Turn) (dialogs.State, []dialogs.Action) {
	if t.Kind == dialogs.TurnOpen {
		return st, []dialogs.Action{dialogs.Say{Text: "您好，请问有什么可以帮您？", Expect: dialogs.ExpectMenu,
			Choices: []dialogs.Choice{{Label: "停电报修", Value: "报修"}, {Label: "转人工", Value: "转人工"}}}}
	}
	switch t.Parse.Text {
	case "报修":
		return st, []dialogs.Action{dialogs.CreateTicket{Kind: dialogs.KindRepair, Fields: map[string]string{"address": "解放路88号"}},
			dialogs.Say{Text: "已登记，工单号{ticket_id}。", Expect: dialogs.ExpectMenu}, dialogs.Resolved{How: dialogs.HowTicket}}
	case "转人工":
		return st, []dialogs.Action{dialogs.Handoff{Priority: dialogs.PriorityNormal, Reason: "request"}, dialogs.Say{Text: "正在转接。"}}
	case "再见", "goodbye":
		return st, []dialogs.Action{dialogs.Say{Text: "再见。"}, dialogs.End{}}
	}
	return st, []dialogs.Action{dialogs.Say{Text: "收到：" + t.Parse.Text, Expect: dialogs.ExpectMenu}}
}

type due struct{}

func (due) Due(string, map[string]string, time.Time) time.Time {
	return time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
}

func newEngine(t *testing.T) *bot.Engine {
	now := func() time.Time { return time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC) }
	e, err := bot.New(bot.Config{Parser: echoParser{}, Dialogs: echoDialogs{}, Commitments: due{},
		Store: store.NewMemoryStore(store.Options{Now: now}), Now: now})
	require.NoError(t, err)
	return e
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

const script = "报修\n\n停电\xff了\r\n" + "转人工\n还要等多久\n再见\n没有换行的最后一行"

func TestJSONL(t *testing.T) {
	var out bytes.Buffer
	err := cli.Run(context.Background(), cli.Config{Engine: newEngine(t), SessionID: "s1", In: strings.NewReader(script), Out: &out, JSONL: true})
	require.NoError(t, err)

	// Contract §4: one line for the start, then exactly one per input line, numbered.
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	n := 0
	for sc.Scan() {
		var line struct {
			Turn   int               `json:"turn"`
			Events []json.RawMessage `json:"events"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line), sc.Text())
		require.Equal(t, n, line.Turn)
		require.NotNil(t, line.Events)
		n++
	}
	require.Equal(t, 8, n)
	golden(t, "jsonl.golden", out.Bytes())
}

func TestInteractive(t *testing.T) {
	var out bytes.Buffer
	// "1" picks the first quick reply (报修); "9" is out of range and stays text.
	err := cli.Run(context.Background(), cli.Config{Engine: newEngine(t), SessionID: "s1", In: strings.NewReader("1\n9\n2\n"), Out: &out})
	require.NoError(t, err)
	golden(t, "interactive.golden", out.Bytes())
}

func TestLongLineIsCutNotFatal(t *testing.T) {
	var out bytes.Buffer
	long := strings.Repeat("停", 300_000) // 900 kB, over the 64 kB read buffer
	err := cli.Run(context.Background(), cli.Config{Engine: newEngine(t), SessionID: "s1", In: strings.NewReader(long + "\n再见\n"),
		Out: &out, JSONL: true, MaxLine: 100_000})
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	require.Contains(t, lines[1], "超过2000字")
	require.Contains(t, lines[2], `"type":"end"`)
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer w.Close()
	defer r.Close()
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(ctx, cli.Config{Engine: newEngine(t), SessionID: "s1", In: r, Out: &bytes.Buffer{}, JSONL: true})
	}()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
}
