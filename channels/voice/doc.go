// Package voice is the browser voice channel: a WebRTC call layer (pion) that turns a
// caller's audio and key presses into bot turns and speaks the bot's replies back.
//
// One Server serves the WebSocket signalling endpoint (/ws/voice); every accepted offer
// becomes a Call that owns its PeerConnection and goroutines. Caller audio runs
// Opus → 16 kHz PCM → endpointing (VAD) → ASR → Bot; RFC 4733 key presses arrive on the
// audio SSRC with their own payload type and drive choices and digit entries; the bot's
// replies run TTS → 48 kHz PCM → Opus → a 20 ms pacer. One shared clock paces every call's
// audio (one goroutine, one ticker; frames judged late only past their deadline plus the
// jitter-buffer tolerance). The media engines (codec, VAD, ASR, TTS) are small interfaces
// defined here and implemented by the sub-packages. With Config.Events the call also
// follows the session's bus: an agent's words are spoken, a return to the bot lets it talk.
//
// Wiring: package mount does it for `dianbao serve` (engine, bus, espeak-ng, FunASR, the
// console's voice join); by hand, the media engines come from the sub-packages through the
// adapters in media.go and *bot.Engine is a Bot as it stands.
//
//	syn, _ := tts.NewEspeak(tts.EspeakConfig{}, logger)        // a clear error without espeak-ng
//	srv, err := voice.NewServer(voice.Config{
//		Bot: engine, Synthesizer: tts.NewCache(syn, tts.CacheConfig{}, reg), Resample: voice.Resample,
//		NewDecoder: voice.NewOpusDecoder, NewEncoder: voice.NewOpusEncoder,
//		NewEndpointer: voice.NewVADEndpointer(vad.Config{}), NewBargeIn: voice.NewVADBargeIn(vad.BargeInConfig{}),
//		Recognizer: funasr, // optional: nil lets the widget use browser speech recognition or the keypad
//	}, logger, reg)
//	_ = srv.Prewarm(ctx, greeting)                               // fixed prompts cost nothing later
//	mux.Handle("/ws/voice", srv)                                 // the caller's widget
//	// agent console, behind its own auth: srv.ServeAgent(w, r, sessionID)
//	defer srv.Close()                                            // hangs up and waits for every call
//
// Phone manners: the bot never hangs up first, except after SilencePrompts unanswered
// "您好，请问能听到吗？" and a polite goodbye; a contract "end" event is shown, not enforced.
//
// Signalling messages (JSON over WebSocket, one object per message):
//
//	← {"type":"hello","asr":false,"iceServers":[…],"langs":["cmn","yue"]}   (first, on connect)
//	→ {"type":"hello","lang":"yue"}                    (optional: the caller's language)
//	→ {"type":"offer","sdp":"v=0…"}
//	← {"type":"answer","sdp":"v=0…","session":"…","asr":true}
//	↔ {"type":"candidate","candidate":{"candidate":"…","sdpMid":"0","sdpMLineIndex":0}}
//	→ {"type":"hangup"}
//	← {"type":"hangup","reason":"silence"}
//	← {"type":"error","code":"bad_offer","message":"…","detail":"…"}   (also bad_message,
//	  bad_lang, bad_candidate, in_call, too_large, unavailable)
//
// The data channel "events" (created by the widget) carries the contract events of
// contract §3 to the widget, plus {"type":"caption","from":"customer","text":"…"} for what
// the bot understood, and accepts {"type":"message","text":"…"} (browser speech recognition),
// {"type":"choice","value":"…"} (a choice button) and {"type":"dtmf","digit":"1"}.
package voice
