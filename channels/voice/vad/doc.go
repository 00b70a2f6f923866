// Package vad finds where a caller speaks in 16 kHz mono PCM and decides when a turn ends.
//
// No trained VAD model is available here (go-webrtcvad and silero bindings are not served),
// so [Detector] uses classic features: frame energy against an adaptive noise floor (minimum
// statistics over a sliding window), with hysteresis once speech runs, and the zero-crossing
// rate to demand a larger margin for noise-like frames. Speech starts after
// StartSpeech (≈ 200 ms) of speech frames and ends after EndSilence (500–800 ms) of non-speech;
// an utterance longer than MaxUtterance is cut. Each SpeechEnd carries the utterance PCM with
// PreRoll audio before the detected start, so ASR hears the first syllable whole.
//
//	det, err := vad.New(vad.Config{EndSilence: 700 * time.Millisecond})
//	for _, ev := range det.Write(pcm16k) {   // any chunk length; frames are cut internally
//		switch ev.Type {
//		case vad.SpeechStart: // stop prompts? start an ASR session
//		case vad.SpeechEnd:   // ev.PCM is the utterance; ev.Reason says why it ended
//		}
//	}
//
// [BargeIn] answers one question while the bot speaks: has the caller talked over it for at
// least MinSpeech (≈ 500 ms)? Browsers cancel the bot's echo (WebRTC AEC), so the uplink
// carries only the caller. Neither type is safe for concurrent use; one per call.
package vad
