package main

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"dianbao/bot"
	"dianbao/bot/server"
)

// mountVoice adds the voice channel once it is wired; until then the server runs without it.
func mountVoice(logger *slog.Logger) func(*server.Server, *bot.Engine, prometheus.Registerer) error {
	return nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
