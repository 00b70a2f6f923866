// Package cli is the terminal channel: a friendly interactive chat, or with JSONL the
// line protocol of contract §4 that the customer simulator and scripts drive.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dianbao/bot"
)

// Engine is what the terminal needs from the runtime.
type Engine interface {
	Open(ctx context.Context, sessionID string) ([]bot.Event, error)
	Handle(ctx context.Context, sessionID string, in bot.Input) ([]bot.Event, error)
}

// Config wires one terminal conversation.
type Config struct {
	Engine    Engine
	SessionID string
	In        io.Reader
	Out       io.Writer
	// JSONL selects contract §4: one {"turn":N,"events":[…]} line per input line.
	JSONL bool
	// Color adds ANSI colours in the interactive chat.
	Color bool
	// MaxLine bounds the bytes kept of one input line (1 MiB); the rest is discarded and
	// the engine answers the overlong text politely.
	MaxLine int
	Logger  *slog.Logger
}

// Line is one JSONL output line.
type Line struct {
	Turn   int         `json:"turn"`
	Events []bot.Event `json:"events"`
}

// Run talks until the input ends (nil) or ctx is cancelled (ctx.Err()).
func Run(ctx context.Context, cfg Config) error {
	if cfg.Engine == nil || cfg.In == nil || cfg.Out == nil || cfg.SessionID == "" {
		return errors.New("cli: engine, input, output and session id are required")
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := bufio.NewWriter(cfg.Out)
	var out writer
	if cfg.JSONL {
		out = &jsonlWriter{w: w}
	} else {
		out = &prettyWriter{w: w, color: cfg.Color}
	}

	evs, err := cfg.Engine.Open(ctx, cfg.SessionID)
	if err != nil && len(evs) == 0 {
		return fmt.Errorf("open session: %w", err)
	}
	logErr(cfg.Logger, cfg.SessionID, err)
	if err := out.turn(0, evs); err != nil {
		return err
	}

	// The reader goroutine cannot be interrupted while blocked on a terminal read; it ends
	// at end of input, and on cancellation the process exits right after Run returns.
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readLines(cfg.In, cfg.MaxLine, lines, ctx.Done())
		close(lines)
	}()
	for n := 1; ; n++ {
		if err := out.prompt(); err != nil {
			return err
		}
		var text string
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case text, ok = <-lines:
		}
		if !ok {
			if err := <-readErr; err != nil {
				return fmt.Errorf("read input: %w", err)
			}
			return out.bye()
		}
		in := out.input(text)
		evs, err := cfg.Engine.Handle(ctx, cfg.SessionID, in)
		if err != nil && len(evs) == 0 {
			return fmt.Errorf("turn %d: %w", n, err)
		}
		logErr(cfg.Logger, cfg.SessionID, err)
		if err := out.turn(n, evs); err != nil {
			return err
		}
	}
}

func logErr(log *slog.Logger, id string, err error) {
	if err != nil {
		log.Error("turn failed, the customer got an apology", "session_id", id, "err", err)
	}
}

// readLines sends each line without its line ending; a line longer than max keeps only
// its first max bytes.
func readLines(r io.Reader, max int, lines chan<- string, done <-chan struct{}) error {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		var buf []byte
		var err error
		cut := false
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if !cut {
				keep := chunk[:min(len(chunk), max-len(buf))]
				buf = append(buf, keep...)
				if len(keep) < len(chunk) { // do not leave half a character at the cut
					buf, cut = trimPartialRune(buf), true
				}
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if len(buf) > 0 || err == nil {
			line := strings.TrimRight(string(buf), "\r\n")
			select {
			case lines <- line:
			case <-done:
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

type writer interface {
	turn(n int, evs []bot.Event) error
	prompt() error
	input(text string) bot.Input
	bye() error
}

type jsonlWriter struct{ w *bufio.Writer }

func (j *jsonlWriter) turn(n int, evs []bot.Event) error {
	if evs == nil {
		evs = []bot.Event{}
	}
	b, err := json.Marshal(Line{Turn: n, Events: evs})
	if err != nil {
		return err
	}
	j.w.Write(b)
	j.w.WriteByte('\n')
	return j.w.Flush()
}

func (j *jsonlWriter) prompt() error               { return nil }
func (j *jsonlWriter) input(text string) bot.Input { return bot.Input{Text: text} }
func (j *jsonlWriter) bye() error                  { return nil }

// prettyWriter is the interactive chat: numbered quick replies the user may type.
type prettyWriter struct {
	w       *bufio.Writer
	color   bool
	choices []bot.Choice
}

const (
	ansiReset  = "\x1b[0m"
	ansiBot    = "\x1b[36m"
	ansiAgent  = "\x1b[32m"
	ansiSystem = "\x1b[33m"
	ansiDim    = "\x1b[2m"
)

func (p *prettyWriter) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + ansiReset
}

var cst = time.FixedZone("CST", 8*3600)

func (p *prettyWriter) turn(n int, evs []bot.Event) error {
	for _, e := range evs {
		switch e.Type {
		case bot.EventMessage:
			who, code := "小保", ansiBot
			switch e.From {
			case bot.FromAgent:
				who, code = "人工客服", ansiAgent
			case bot.FromSystem:
				who, code = "系统", ansiSystem
			}
			fmt.Fprintf(p.w, "%s %s\n", p.paint(code, who+"："), e.Text)
			if len(e.Choices) > 0 {
				p.choices = e.Choices
				var opts []string
				for i, c := range e.Choices {
					opts = append(opts, fmt.Sprintf("[%d] %s", i+1, c.Label))
				}
				fmt.Fprintf(p.w, "      %s\n", p.paint(ansiDim, strings.Join(opts, "  ")))
			} else {
				p.choices = nil
			}
		case bot.EventTicket:
			t := e.Ticket
			fmt.Fprintf(p.w, "      %s\n", p.paint(ansiDim, fmt.Sprintf("▸ 工单 %s 已受理，承诺时限 %s", t.ID, t.Due.In(cst).Format("2006-01-02 15:04"))))
		case bot.EventHandoff:
			msg := "▸ 人工客服：" + map[string]string{bot.HandoffQueued: "排队中", bot.HandoffAssigned: "已接入",
				bot.HandoffReturned: "已转回智能客服", bot.HandoffEnded: "服务结束"}[e.Status]
			if e.Status == bot.HandoffQueued {
				msg += fmt.Sprintf("（第%d位，预计约%d分钟）", e.Position, max(1, e.ETASeconds/60))
			}
			fmt.Fprintf(p.w, "      %s\n", p.paint(ansiDim, msg))
		case bot.EventOutage:
			o := e.Outage
			fmt.Fprintf(p.w, "      %s\n", p.paint(ansiDim, fmt.Sprintf("▸ 停电信息：%s，%s，%s 至 %s", o.Area, o.Cause,
				o.Start.In(cst).Format("01-02 15:04"), o.ETA.In(cst).Format("01-02 15:04"))))
		case bot.EventEnd:
			fmt.Fprintf(p.w, "      %s\n", p.paint(ansiDim, "▸ 本次会话已结束，如有新的问题可以继续输入，按 Ctrl-D 退出。"))
		}
	}
	return p.w.Flush()
}

func (p *prettyWriter) prompt() error {
	fmt.Fprint(p.w, p.paint(ansiAgent, "您：")+" ")
	return p.w.Flush()
}

// input maps a typed option number to its quick reply.
func (p *prettyWriter) input(text string) bot.Input {
	if i, err := strconv.Atoi(strings.TrimSpace(text)); err == nil && i >= 1 && i <= len(p.choices) {
		return bot.Input{Choice: p.choices[i-1].Value}
	}
	return bot.Input{Text: text}
}

func (p *prettyWriter) bye() error {
	fmt.Fprintln(p.w, "\n"+p.paint(ansiDim, "再见，感谢您使用95598智能客服。"))
	return p.w.Flush()
}
