package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// runServe is replaced by the serve subcommand's implementation.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	return errors.New("not built yet")
}
