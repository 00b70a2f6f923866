package tts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EspeakConfig configures the espeak-ng subprocess engine; zero values are sensible.
type EspeakConfig struct {
	Binary       string // default "espeak-ng" looked up in PATH
	Speed        int    // words per minute, default 150 (calm, clear for older callers)
	Pitch        int    // 0–99, default 50
	MaxTextRunes int    // default 600
	// MaxConcurrent bounds simultaneous espeak-ng processes so a burst of uncached replies
	// cannot starve the media goroutines of CPU (default: number of CPUs).
	MaxConcurrent int
}

// Espeak synthesises with the Debian espeak-ng binary, one subprocess per utterance.
type Espeak struct {
	bin    string
	cfg    EspeakConfig
	log    *slog.Logger
	pinyin *Pinyin
	slots  chan struct{}
}

var _ Synthesizer = (*Espeak)(nil)

// espeakVoices maps accepted voice names to espeak-ng voices and whether the text must be
// converted to pinyin first.
var espeakVoices = map[string]struct {
	name   string
	pinyin bool
}{
	"":                {"cmn-latn-pinyin", true},
	VoiceMandarin:     {"cmn-latn-pinyin", true},
	"cmn":             {"cmn-latn-pinyin", true},
	"zh":              {"cmn-latn-pinyin", true},
	"cmn-latn-pinyin": {"cmn-latn-pinyin", true},
	VoiceCantonese:    {"yue", false},
	"yue":             {"yue", false},
}

// NewEspeak checks that espeak-ng runs and has the Mandarin pinyin voice, so a missing
// engine is a clear start-up error and not a silent call.
func NewEspeak(cfg EspeakConfig, logger *slog.Logger) (*Espeak, error) {
	if cfg.Binary == "" {
		cfg.Binary = "espeak-ng"
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 150
	}
	if cfg.Pitch <= 0 || cfg.Pitch > 99 {
		cfg.Pitch = 50
	}
	if cfg.MaxTextRunes <= 0 {
		cfg.MaxTextRunes = 600
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = runtime.NumCPU()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bin, err := exec.LookPath(cfg.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %q not found in PATH (install the Debian package espeak-ng): %v", ErrEngineMissing, cfg.Binary, err)
	}
	out, err := exec.Command(bin, "--voices=cmn").Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s --voices failed: %v", ErrEngineMissing, bin, err)
	}
	if !strings.Contains(string(out), "cmn-latn-pinyin") {
		return nil, fmt.Errorf("%w: %s has no cmn-latn-pinyin voice (espeak-ng ≥ 1.50 with Mandarin data needed)", ErrEngineMissing, bin)
	}
	return &Espeak{bin: bin, cfg: cfg, log: logger, pinyin: NewPinyin(), slots: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

// Text returns the exact text handed to espeak-ng for a voice, for logs and tests.
func (e *Espeak) Text(text, voice string) (string, error) {
	v, ok := espeakVoices[strings.ToLower(voice)]
	if !ok {
		return "", fmt.Errorf("%w: %q (use %q or %q)", ErrUnknownVoice, voice, VoiceMandarin, VoiceCantonese)
	}
	if v.pinyin {
		return e.pinyin.Convert(text), nil
	}
	return text, nil
}

// Synthesize runs espeak-ng and returns 22 050 Hz mono PCM.
func (e *Espeak) Synthesize(ctx context.Context, text, voice string) ([]int16, int, error) {
	if !utf8.ValidString(text) {
		return nil, 0, fmt.Errorf("%w: text is not valid UTF-8", ErrEmptyText)
	}
	if n := utf8.RuneCountInString(text); n > e.cfg.MaxTextRunes {
		return nil, 0, fmt.Errorf("%w: %d characters, limit %d", ErrTextTooLong, n, e.cfg.MaxTextRunes)
	}
	v, ok := espeakVoices[strings.ToLower(voice)]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %q (use %q or %q)", ErrUnknownVoice, voice, VoiceMandarin, VoiceCantonese)
	}
	spoken := text
	if v.pinyin {
		spoken = e.pinyin.Convert(text)
	}
	if strings.Trim(spoken, " ,.") == "" {
		return nil, 0, ErrEmptyText
	}
	select {
	case e.slots <- struct{}{}:
		defer func() { <-e.slots }()
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("%w: waiting for an engine slot: %w", ErrSynthesis, ctx.Err())
	}
	// Text goes through stdin so that nothing in it can be taken for a flag.
	cmd := exec.CommandContext(ctx, e.bin, "-v", v.name, "-s", strconv.Itoa(e.cfg.Speed),
		"-p", strconv.Itoa(e.cfg.Pitch), "-b", "1", "--stdout", "--stdin")
	cmd.Stdin = strings.NewReader(spoken)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, 0, fmt.Errorf("%w: %w", ErrSynthesis, ctxErr)
		}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return nil, 0, fmt.Errorf("%w: espeak-ng exit %d: %s", ErrSynthesis, exitErr.ExitCode(), strings.TrimSpace(stderr.String()))
		}
		return nil, 0, fmt.Errorf("%w: %v", ErrSynthesis, err)
	}
	pcm, rate, err := ParseWAV(stdout.Bytes())
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrSynthesis, err)
	}
	if len(pcm) == 0 {
		return nil, 0, fmt.Errorf("%w: no audio for %q", ErrSynthesis, spoken)
	}
	e.log.DebugContext(ctx, "tts synthesised", "voice", v.name, "runes", utf8.RuneCountInString(text), "samples", len(pcm), "rate", rate)
	return pcm, rate, nil
}
