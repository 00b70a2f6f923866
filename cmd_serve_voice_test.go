package main

import (
	"bufio"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"dianbao/channels/voice/asr/funasrtest"
)

// TestServeVoiceConfig: the `voice:` section of the serve configuration belongs to the
// voice channel, the rest still parses strictly, and set flags win.
func TestServeVoiceConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	good := write("good.yaml", "dev: true\noperator_token: tok\nvoice:\n  asr_url: ws://10.0.0.5:10095\n  languages: {cmn: mandarin}\n  silence_timeout: 12s\n")
	cfg, opts, err := loadServeConfig(good)
	require.NoError(t, err)
	require.Equal(t, "tok", cfg.OperatorToken)
	require.Equal(t, "ws://10.0.0.5:10095", opts.ASRURL)
	require.Equal(t, map[string]string{"cmn": "mandarin"}, opts.Languages)
	require.Equal(t, 12*time.Second, opts.SilenceTimeout)

	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	vf := addVoiceFlags(fl)
	require.NoError(t, fl.Parse([]string{"--asr-url", "ws://127.0.0.1:1"}))
	vf.apply(&opts)
	require.Equal(t, "ws://127.0.0.1:1", opts.ASRURL)

	for name, body := range map[string]string{
		"typo.yaml":  "voice:\n  asr_ulr: ws://x\n",
		"other.yaml": "dev: true\nnot_a_key: 1\n",
		"bad.yaml":   "voice: [\n",
	} {
		_, _, err := loadServeConfig(write(name, body))
		require.Error(t, err, name)
	}
	_, opts, err = loadServeConfig("")
	require.NoError(t, err)
	require.Empty(t, opts.ASRURL)
}

// TestServeBinaryVoice runs `dianbao serve --asr-url …`: the start-up text says how calls
// are understood, /voice is served, and /ws/voice greets with server ASR and languages.
func TestServeBinaryVoice(t *testing.T) {
	fa, err := funasrtest.New(funasrtest.Config{Text: "你好"})
	require.NoError(t, err)
	defer fa.Close()
	bin := filepath.Join(t.TempDir(), "dianbao")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--store", "memory", "--asr-url", fa.URL())
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	var base, voiceLine string
	re := regexp.MustCompile(`serving on (\S+)`)
	for sc.Scan() && (base == "" || voiceLine == "") {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if strings.Contains(sc.Text(), "voice widget") {
			voiceLine = sc.Text()
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	require.NotEmpty(t, base)
	require.Contains(t, voiceLine, "/voice")
	require.Contains(t, voiceLine, "FunASR at "+fa.URL())

	resp, err := http.Get("http://" + base + "/voice")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), `id="lang"`)

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+base+"/ws/voice", nil)
	require.NoError(t, err)
	defer ws.Close()
	var hello struct {
		Type  string   `json:"type"`
		ASR   bool     `json:"asr"`
		Langs []string `json:"langs"`
	}
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(10*time.Second)))
	require.NoError(t, ws.ReadJSON(&hello))
	require.Equal(t, "hello", hello.Type)
	require.True(t, hello.ASR)
	require.Equal(t, []string{"cmn", "yue"}, hello.Langs)
}
