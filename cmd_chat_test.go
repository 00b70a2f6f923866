package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
)

// chatLine is one line of `dianbao chat --jsonl` (contract §4).
type chatLine struct {
	Turn   int         `json:"turn"`
	Events []bot.Event `json:"events"`
}

// runChatBinary feeds lines to the built binary and returns its parsed output, checking
// the contract: one JSON line per input line (plus the greeting), in order, exit 0.
func runChatBinary(t *testing.T, bin, storeURL string, lines ...string) []chatLine {
	t.Helper()
	cmd := exec.Command(bin, "chat", "--jsonl", "--store", storeURL)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	var out []chatLine
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l chatLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "stdout holds JSON lines only: %q", sc.Text())
		require.Equal(t, len(out), l.Turn)
		out = append(out, l)
	}
	require.Len(t, out, len(lines)+1)
	return out
}

func TestChatBinaryKeepsTicketsAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "dianbao")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	storeURL := "bolt:" + filepath.Join(dir, "state", "dianbao.db")

	first := runChatBinary(t, bin, storeURL, "路边电线断了掉在地上，还在冒火花", "解放路88号", "张三", "13712345678")
	var ticket *bot.Ticket
	for _, l := range first {
		for _, ev := range l.Events {
			if ev.Type == bot.EventTicket {
				ticket = ev.Ticket
			}
		}
	}
	require.NotNil(t, ticket, "the first run opens a work order: %+v", first)
	require.Equal(t, "emergency", ticket.Kind)
	require.Regexp(t, regexp.MustCompile(`^EM\d{12}$`), ticket.ID)
	require.Equal(t, "13712345678", ticket.Fields["phone"])

	// A second process on the same file: a new conversation that finds the ticket by id.
	second := runChatBinary(t, bin, storeURL, "我想查一下工单进度", ticket.ID)
	require.Equal(t, "menu", *second[0].Events[0].Expect, "a new session is greeted")
	var answer strings.Builder
	for _, ev := range second[2].Events {
		answer.WriteString(ev.Text)
	}
	require.Contains(t, answer.String(), ticket.ID)
	require.Contains(t, answer.String(), "紧急抢修")
	require.NotContains(t, answer.String(), "没有查到", "the ticket survived the restart")

	// The same question about an unknown id is answered "not found" (so the check above
	// can fail).
	third := runChatBinary(t, bin, storeURL, "我想查一下工单进度", "EM209901010001")
	require.Contains(t, third[2].Events[0].Text, "没有查到")
}
