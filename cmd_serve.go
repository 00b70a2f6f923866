package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"

	"dianbao/bot/server"
	"dianbao/bot/store"
	"dianbao/deploy"
)

// runServe starts the web server: chat widget, agent console, operator API, metrics.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", ":8080", "listen address")
	dataDir := fl.String("data", "", "directory with outages.json and accounts.json (default: the embedded sample data)")
	storeURL := fl.String("store", "bolt:"+store.DefaultBoltPath(), "store: memory, bolt:PATH or redis://HOST:PORT/DB")
	configFile := fl.String("config", "", "configuration file, YAML or JSON (default: the embedded development configuration)")
	vflags := addVoiceFlags(fl)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	cfg, vopts, err := loadServeConfig(*configFile)
	if err != nil {
		return err
	}
	vflags.apply(&vopts)
	if cfg.OperatorToken == "" {
		cfg.OperatorToken = randomToken()
		fmt.Fprintf(stdout, "operator API token (generated for this run): %s\n", cfg.OperatorToken)
	}
	var data fs.FS = deploy.SampleData()
	if *dataDir != "" {
		data = os.DirFS(*dataDir)
	}
	app, err := server.NewApp(ctx, server.AppConfig{
		Addr: *addr, StoreURL: *storeURL, Data: data, File: cfg, Logger: logger,
	})
	if err != nil {
		return err
	}
	bound, err := app.Listen()
	if err != nil {
		_ = app.Close()
		return err
	}
	base := baseURL(bound)
	fmt.Fprintf(stdout, "dianbao 电保 is serving on %s\n", bound)
	fmt.Fprintf(stdout, "  demo site with the chat widget  %s/\n", base)
	fmt.Fprintf(stdout, "  embeddable widget               <script src=\"%s/widget.js\" defer></script>\n", base)
	if _, err := startVoice(app, vopts, stdout, base, logger); err != nil {
		_ = app.Close()
		return err
	}
	fmt.Fprintf(stdout, "  agent console                   %s/agent\n", base)
	fmt.Fprintf(stdout, "  operator API                    %s/api/tickets  (Authorization: Bearer …)\n", base)
	fmt.Fprintf(stdout, "  metrics / health                %s/metrics  %s/healthz  %s/readyz\n", base, base, base)
	if strings.HasPrefix(*storeURL, "redis") {
		fmt.Fprintf(stdout, "  fleet mode: sessions, handoff queue and events shared through %s\n", redactURL(*storeURL))
	}
	fmt.Fprintf(stdout, "  SIGTERM drains (finishes turns, closes sockets); a second signal exits at once\n")
	if cfg.Dev {
		for _, a := range cfg.Agents {
			fmt.Fprintf(stdout, "  dev mode: agent login %q password %q\n", a.ID, cfg.DevPassword)
		}
		fmt.Fprintf(stdout, "  dev mode: operator token %q\n", cfg.OperatorToken)
	}
	return app.Run(ctx)
}

// redactURL hides a password in a store URL before it is printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "redis"
	}
	return u.Redacted()
}

func baseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return "http://" + host + ":" + port
}
