package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"dianbao/bot"
	"dianbao/bot/store"
	"dianbao/channels/cli"
	"dianbao/deploy"
	"dianbao/dialogs"
	"dianbao/nlu"
)

// runChat talks to the bot in the terminal over the same engine and store as the server;
// every run is a new session.
func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, logger *slog.Logger) error {
	fl := flag.NewFlagSet("chat", flag.ContinueOnError)
	fl.SetOutput(stderr)
	jsonl := fl.Bool("jsonl", false, "speak contract §4 JSON lines instead of the friendly chat")
	dataDir := fl.String("data", "", "directory with outages.json and accounts.json (default: the embedded sample data)")
	storeURL := fl.String("store", "bolt:"+store.DefaultBoltPath(), "memory, bolt:PATH or redis://HOST:PORT/DB")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	if !*jsonl {
		// Keep the conversation readable: only warnings and errors on the terminal.
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	eng, closeAll, err := buildEngine(ctx, *dataDir, *storeURL, logger, prometheus.NewRegistry(), func() bool { return false })
	if err != nil {
		return err
	}
	defer closeAll()

	color := false
	if f, ok := stdout.(*os.File); ok && !*jsonl {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("NO_COLOR") == "" {
			color = true
		}
	}
	err = cli.Run(ctx, cli.Config{Engine: eng, SessionID: "cli-" + eng.NewSessionID(), In: stdin, Out: stdout,
		JSONL: *jsonl, Color: color, Logger: logger})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// buildEngine wires the runtime: data, store, NLU, dialogs. The returned func closes
// what it opened.
func buildEngine(ctx context.Context, dataDir, storeURL string, logger *slog.Logger, reg prometheus.Registerer, agents func() bool) (*bot.Engine, func(), error) {
	var data fs.FS = deploy.SampleData()
	if dataDir != "" {
		st, err := os.Stat(dataDir)
		if err != nil || !st.IsDir() {
			return nil, nil, fmt.Errorf("--data %s: not a directory", dataDir)
		}
		data = os.DirFS(dataDir)
	}
	records, err := bot.LoadDirectory(data)
	if err != nil {
		return nil, nil, fmt.Errorf("load data: %w", err)
	}
	st, err := store.Open(ctx, storeURL, store.Options{Logger: logger})
	if err != nil {
		return nil, nil, fmt.Errorf("open store: %w", err)
	}
	parser, err := nlu.New(nlu.Config{Logger: logger})
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("load NLU: %w", err)
	}
	closeAll := func() {
		parser.Close()
		if err := st.Close(); err != nil {
			logger.Warn("close store", "err", err)
		}
	}
	cfg := dialogs.DefaultConfig()
	machine, err := dialogs.New(cfg)
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("load dialogs: %w", err)
	}
	// With Redis the events go through it, so agents on any instance see this session.
	bus, err := store.NewBus(st, store.BusOptions{Logger: logger})
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("open bus: %w", err)
	}
	closeStore := closeAll
	closeAll = func() {
		_ = bus.Close()
		closeStore()
	}
	eng, err := bot.New(bot.Config{
		Parser: parser, Dialogs: machine, Commitments: cfg.Commitments, Store: st, Records: records,
		Bus: bus, AgentsAvailable: agents, Logger: logger, Registerer: reg,
	})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return eng, closeAll, nil
}
