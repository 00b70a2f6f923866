package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"dianbao/bot"
	"dianbao/bot/server"
	"dianbao/channels/voice"
	"dianbao/channels/voice/tts"
	"dianbao/channels/voice/vad"
)

// voiceBot adapts the engine to the voice channel's Bot.
type voiceBot struct{ e *bot.Engine }

func (v voiceBot) Open(ctx context.Context, id string) ([]bot.Event, error) { return v.e.Open(ctx, id) }
func (v voiceBot) Handle(ctx context.Context, id string, in voice.Input) ([]bot.Event, error) {
	return v.e.Handle(ctx, id, bot.Input{Text: in.Text, Choice: in.Choice})
}

// mountVoice adds /ws/voice: espeak-ng speech (cached), Opus both ways, VAD endpointing.
// Without espeak-ng the server still starts, saying clearly that voice is off.
func mountVoice(logger *slog.Logger) func(*server.Server, *bot.Engine, prometheus.Registerer) error {
	return func(s *server.Server, e *bot.Engine, reg prometheus.Registerer) error {
		es, err := tts.NewEspeak(tts.EspeakConfig{}, logger)
		if err != nil {
			logger.Warn("voice channel disabled: no speech synthesis (install espeak-ng)", "err", err)
			return nil
		}
		vs, err := voice.NewServer(voice.Config{
			Bot:           voiceBot{e},
			Synthesizer:   tts.NewCache(es, tts.CacheConfig{}, reg),
			Resample:      voice.Resample,
			NewDecoder:    voice.NewOpusDecoder,
			NewEncoder:    voice.NewOpusEncoder,
			NewEndpointer: voice.NewVADEndpointer(vad.Config{}),
			NewBargeIn:    voice.NewVADBargeIn(vad.BargeInConfig{}),
		}, logger, reg)
		if err != nil {
			return fmt.Errorf("voice: %w", err)
		}
		s.Handle("GET /ws/voice", vs)
		s.OnDrain(func() { _ = vs.Close() })
		return nil
	}
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
