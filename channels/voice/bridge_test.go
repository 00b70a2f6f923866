package voice_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/channels/voice"
	"dianbao/channels/voice/codec"
)

func TestAgentBridgeForwardsOpusBothWays(t *testing.T) {
	b := newScriptBot()
	b.greeting = "您好。"
	cfg := engines(t, b)
	cfg.IncludeLoopback = true
	srv, err := voice.NewServer(cfg, nil, nil)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/ws/voice", srv)
	mux.HandleFunc("/ws/voice/agent", func(w http.ResponseWriter, r *http.Request) {
		srv.ServeAgent(w, r, r.URL.Query().Get("session"))
	})
	hs := httptest.NewServer(mux)
	defer hs.Close()
	defer func() { require.NoError(t, srv.Close()) }()
	base := "ws" + strings.TrimPrefix(hs.URL, "http")

	api := clientAPI(t)
	c := dial(t, base+"/ws/voice")
	defer c.hangup()
	c.keepRaw = true
	c.call(api)
	c.waitEvent(10*time.Second, isMessage)
	require.Eventually(t, func() bool { _, last, _ := c.stats(); return time.Since(last) > 300*time.Millisecond },
		15*time.Second, 50*time.Millisecond, "the greeting ends")

	// An unknown session is refused before any WebSocket.
	resp, err := http.Get(hs.URL + "/ws/voice/agent?session=nope")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	c.mu.Lock()
	session := c.session
	c.mu.Unlock()
	agent := dial(t, base+"/ws/voice/agent?session="+session)
	agent.keepRaw = true
	agent.call(api)
	require.Eventually(t, func() bool { return srv.ActiveCalls()[0].Bridged() }, 5*time.Second, 20*time.Millisecond)

	// Caller → agent: the very Opus payloads, no transcoding.
	enc, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{})
	require.NoError(t, err)
	speech := callerSpeech(t, "喂，您好，我家停电了", 200*time.Millisecond)
	var sent [][]byte
	for off := 0; off+960 <= len(speech); off += 960 {
		p, err := enc.Encode(speech[off : off+960])
		require.NoError(t, err)
		sent = append(sent, append([]byte(nil), p...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(len(sent))*20*time.Millisecond)
	c.sendPackets(ctx, sent)
	cancel()
	require.Eventually(t, func() bool {
		agent.mu.Lock()
		defer agent.mu.Unlock()
		return len(agent.raw) >= len(sent)*8/10
	}, 5*time.Second, 20*time.Millisecond, "the agent hears the caller")
	agent.mu.Lock()
	for _, p := range agent.raw {
		require.True(t, containsPayload(sent, p), "forwarded payload was changed")
	}
	agent.mu.Unlock()
	// The bot stays silent and deaf while the agent talks: speech and keys do not reach it.
	c.pressKey('1')
	select {
	case in := <-b.inputCh:
		t.Fatalf("the bot got %+v during the bridge", in)
	case <-time.After(500 * time.Millisecond):
	}

	// Agent → caller, also untouched.
	c.mu.Lock()
	c.raw = nil
	c.mu.Unlock()
	ctx, cancel = context.WithTimeout(context.Background(), 1*time.Second)
	agent.sendPackets(ctx, sent)
	cancel()
	require.Eventually(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.raw) >= 35 },
		5*time.Second, 20*time.Millisecond, "the caller hears the agent")
	c.mu.Lock()
	for _, p := range c.raw {
		require.True(t, containsPayload(sent, p), "forwarded payload was changed")
	}
	c.mu.Unlock()

	// The agent leaves: the call returns to the bot, which answers keys again.
	agent.hangup()
	require.Eventually(t, func() bool { return !srv.ActiveCalls()[0].Bridged() }, 5*time.Second, 20*time.Millisecond)
	c.pressKey('1')
	require.Equal(t, voice.Input{Text: "是", Choice: "是"}, waitInput(t, b))
}

func containsPayload(set [][]byte, p []byte) bool {
	for _, s := range set {
		if bytes.Equal(s, p) {
			return true
		}
	}
	return false
}
