// Package asr turns a caller's utterances (16 kHz mono s16 PCM from the VAD) into text.
//
// [Recognizer] starts one streaming [Session] per utterance: Write PCM as it arrives, read
// partial hypotheses from Results (mode "2pass-online", Final false), then Finish to get the
// corrected final text (mode "2pass-offline", Final true).
//
//	rec, err := asr.NewFunASR(asr.FunASRConfig{URL: "ws://127.0.0.1:10095",
//		Hotwords: map[string]int{"跳闸": 20, "漏电保护器": 20}}, logger, reg)
//	err = rec.Ping(ctx)                        // at start-up: ErrUnreachable names the address
//	s, err := rec.Start(ctx, asr.StartOptions{ID: callID})
//	_ = s.Write(pcm)                           // any number of times
//	final, err := s.Finish(ctx)                // final.Text == "我家跳闸了"
//	defer s.Close()
//
// For a finished utterance, FunASR.Transcribe(ctx, pcm) does Start, Write and Finish in one
// call (the shape the voice call layer's Recognizer wants).
//
// [FunASR] speaks the FunASR runtime WebSocket protocol (runtime/docs/websocket_protocol.md
// in modelscope/FunASR): a JSON first message with mode "2pass", chunk_size [5,10,5],
// hotwords as a JSON string, itn and audio_fs; binary PCM chunks; {"is_speaking":false} to end
// the utterance; results as JSON with mode, text, is_final and wav_name. One WebSocket per
// utterance keeps server state clean; a dropped connection is redialled and the utterance so
// far replayed. Package funasrtest is a protocol-faithful fake server for tests.
package asr
