package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dianbao/nlu"
)

func TestRunNLUJSONLines(t *testing.T) {
	in := "我家停电了\n\n電費多少\n户号3100123456\n\xff\xfe\n转人工" // last line without newline
	var out, errOut bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&errOut, nil))
	require.NoError(t, runNLU(context.Background(), nil, strings.NewReader(in), &out, &errOut, logger))
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	require.Len(t, lines, 6, "one JSON line per input line and nothing else:\n%s", out.String())
	want := []string{nlu.IntentPowerOutage, nlu.IntentOutOfScope, nlu.IntentBillQuery, "", nlu.IntentOutOfScope, nlu.IntentHumanAgent}
	for i, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		for _, k := range []string{"text", "intent", "confidence", "entities", "tokens"} {
			require.Contains(t, m, k)
		}
		require.NotNil(t, m["entities"])
		if want[i] != "" {
			require.Equal(t, want[i], m["intent"], l)
		}
	}
	var acct nlu.Result
	require.NoError(t, json.Unmarshal([]byte(lines[3]), &acct))
	e, ok := acct.First(nlu.EntityAccount)
	require.True(t, ok)
	require.Equal(t, nlu.Entity{Type: nlu.EntityAccount, Value: "3100123456", Start: 2, End: 12}, e)
	require.Contains(t, errOut.String(), "nlu ready", "start-up logs go to stderr")
}

func TestRunNLUEval(t *testing.T) {
	file := filepath.Join(t.TempDir(), "eval.tsv")
	require.NoError(t, os.WriteFile(file, []byte("# c\ngreet\t你好\npower_outage|outage_info\t我家停电了\nthanks\t推荐一部电影\n"), 0o644))
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	require.NoError(t, runNLU(context.Background(), []string{"eval", file}, strings.NewReader(""), &out, io.Discard, logger))
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	require.Equal(t, "accuracy: 0.667 (2/3)", lines[len(lines)-1])
	require.Contains(t, out.String(), "precision")
	require.Contains(t, out.String(), "thanks -> out_of_scope")
}

func TestRunNLUBadArgs(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := [][]string{
		{"eval"},
		{"frobnicate"},
		{"--account-lengths", "ten"},
		{"eval", filepath.Join(t.TempDir(), "missing.tsv")},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := runNLU(context.Background(), args, strings.NewReader(""), &out, io.Discard, logger)
			require.Error(t, err)
			require.Empty(t, out.String())
		})
	}
}

// TestNLUBinaryWithoutModuleCache runs the real binary where no Go module cache exists: built
// with -trimpath the gojieba module cannot find its own folder, so only the embedded
// dictionaries can make it work, as in a container image.
func TestNLUBinaryWithoutModuleCache(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "dianbao")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	tmp := filepath.Join(dir, "tmp")
	require.NoError(t, os.Mkdir(tmp, 0o700))
	cmd := exec.Command(bin, "nlu")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=/nonexistent", "GOMODCACHE=/nonexistent", "GOPATH=/nonexistent", "TMPDIR=" + tmp, "PATH=/usr/bin:/bin"}
	cmd.Stdin = strings.NewReader("我家停电了\n电费多少\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s", stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 2)
	var r nlu.Result
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &r))
	require.Equal(t, nlu.IntentPowerOutage, r.Intent)
	require.Equal(t, []string{"我家", "停电", "了"}, r.Tokens)
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, left, "the temporary dictionary copies are removed")
}
