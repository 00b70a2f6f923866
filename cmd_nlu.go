package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"dianbao/nlu"
)

// runNLU implements `dianbao nlu` (one JSON result per input line) and `dianbao nlu eval FILE`
// (contract §2). Only results go to stdout; start-up logs go to the logger (stderr).
func runNLU(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("nlu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.String("account-lengths", "10", "comma-separated digit counts of an account number (户号)")
	threshold := fs.Float64("threshold", nlu.DefaultOutOfScopeThreshold, "top probability under which the intent is out_of_scope")
	minFreq := fs.Int("jieba-min-freq", nlu.DefaultMinWordFreq, "drop jieba dictionary words rarer than this (the embedded dictionary is already trimmed to the default; 1 keeps all of a --jieba-dict one)")
	dictDir := fs.String("jieba-dict", "", "folder with jieba.dict.utf8 and hmm_model.utf8 to use instead of the embedded dictionaries")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: dianbao nlu [flags] [eval FILE]\n\nReads utterances on stdin and writes one JSON line each; eval scores intent<TAB>utterance lines.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lens []int
	for _, f := range strings.Split(*accounts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("--account-lengths: %q is not a number", f)
		}
		lens = append(lens, n)
	}
	rest := fs.Args()
	if len(rest) > 0 && (rest[0] != "eval" || len(rest) != 2) {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	p, err := nlu.New(nlu.Config{AccountLengths: lens, OutOfScopeThreshold: *threshold, DictDir: *dictDir, MinWordFreq: *minFreq, Logger: logger})
	if err != nil {
		return err
	}
	defer p.Close()

	if len(rest) == 2 {
		f, err := os.Open(rest[1])
		if err != nil {
			return err
		}
		defer f.Close()
		rep, err := nlu.Evaluate(p, f)
		if err != nil {
			return err
		}
		_, err = rep.WriteTo(stdout)
		return err
	}

	in := bufio.NewReader(stdin)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		line, readErr := in.ReadString('\n')
		if line == "" && readErr != nil {
			if readErr == io.EOF {
				return nil
			}
			return readErr
		}
		line = strings.TrimRight(line, "\r\n")
		if err := enc.Encode(p.Parse(line)); err != nil {
			return err
		}
		// Flush per line so an interactive caller or a pipe sees each answer at once.
		if err := out.Flush(); err != nil {
			return err
		}
		if readErr != nil {
			return nil
		}
	}
}
