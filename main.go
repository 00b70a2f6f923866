// Command dianbao is the 95598 service bot: `serve` runs the web chat, voice and agent
// console server, `chat` talks in the terminal, `nlu` shows and evaluates the understanding.
// This file is wiring only; each subcommand lives in its cmd_*.go file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `dianbao — 95598 供电服务机器人

usage:
  dianbao serve [--addr :8080] [--data DIR] [--store URL] [--config FILE]
  dianbao chat  [--jsonl] [--data DIR] [--store URL]
  dianbao nlu   [eval FILE]

--store is memory, bolt:PATH (the default) or redis://HOST:PORT/DB.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a subcommand and turns its error into an exit code. The first SIGINT or
// SIGTERM cancels ctx so the command can drain; a second one exits at once.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; !ok {
			return
		}
		cancel()
		if _, ok := <-sig; ok {
			os.Exit(130)
		}
	}()

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	switch args[0] {
	case "nlu":
		err = runNLU(ctx, args[1:], stdin, stdout, stderr, logger)
	case "chat":
		err = runChat(ctx, args[1:], stdin, stdout, stderr, logger)
	case "serve":
		err = runServe(ctx, args[1:], stdout, stderr, logger)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "dianbao: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "dianbao %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
