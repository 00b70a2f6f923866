// Package tts turns the bot's Chinese replies into speech for the voice channel.
//
// [Synthesizer] is the seam: Synthesize(ctx, text, voice) returns mono s16 PCM and its rate.
// [Espeak] runs the Debian espeak-ng binary as a subprocess. Debian's espeak-ng 1.51 reads
// Chinese characters with the `cmn` voice as English tone numbers and guesses polyphones
// (银行, 重新) wrongly with `cmn-latn-pinyin`, so for Mandarin the text is first converted to
// pinyin with tone numbers ([Pinyin]: go-pinyin Tone3 plus a domain phrase table and
// 95598-style digit reading) and spoken with `cmn-latn-pinyin`. Cantonese (`yue`) reads
// characters directly.
//
//	sp, err := tts.NewEspeak(tts.EspeakConfig{}, logger) // fails clearly if espeak-ng is missing
//	cached := tts.NewCache(sp, tts.CacheConfig{Entries: 512}, prometheus.DefaultRegisterer)
//	pcm, rate, err := cached.Synthesize(ctx, "您好,这里是95598供电服务热线。", tts.VoiceMandarin)
//
// [Cache] is an LRU decorator keyed by voice and text: fixed prompts are synthesised once and
// a hit costs a map lookup. The PCM it returns is shared and must be treated as read-only.
package tts
