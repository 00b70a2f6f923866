package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// runNLU is replaced by the nlu subcommand's implementation.
func runNLU(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, logger *slog.Logger) error {
	return errors.New("not built yet")
}
