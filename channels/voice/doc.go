// Package voice is the browser voice channel: a WebRTC call layer (pion) that turns a
// caller's audio and key presses into bot turns and speaks the bot's replies back.
//
// One Server serves the WebSocket signalling endpoint (/ws/voice); every accepted offer
// becomes a Call that owns its PeerConnection and goroutines. Caller audio runs
// Opus → 16 kHz PCM → endpointing (VAD) → ASR → Bot; RFC 4733 key presses arrive on the
// audio SSRC with their own payload type and drive choices and digit entries; the bot's
// replies run TTS → 48 kHz PCM → Opus → a 20 ms pacer. The media engines (codec, VAD, ASR,
// TTS) are small interfaces defined here and implemented by the sub-packages.
//
// Signalling messages (JSON over WebSocket, one object per message):
//
//	→ {"type":"offer","sdp":"v=0…"}
//	← {"type":"answer","sdp":"v=0…","session":"…","asr":true}
//	↔ {"type":"candidate","candidate":{"candidate":"…","sdpMid":"0","sdpMLineIndex":0}}
//	→ {"type":"hangup"}
//	← {"type":"hangup","reason":"silence"}
//	← {"type":"error","code":"bad_offer","message":"…","detail":"…"}
//
// The data channel "events" (created by the widget) carries the contract events of
// contract §3 to the widget, plus {"type":"caption","from":"customer","text":"…"} for what
// the bot understood, and accepts {"type":"message","text":"…"} (browser speech recognition),
// {"type":"choice","value":"…"} (a choice button) and {"type":"dtmf","digit":"1"}.
package voice
