package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// runChat is replaced by the chat subcommand's implementation.
func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, logger *slog.Logger) error {
	return errors.New("not built yet")
}
