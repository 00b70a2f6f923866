// Package mount wires the voice channel into the `dianbao serve` application: the real
// engine and bus, espeak-ng speech with its cache and prewarmed prompts, the FunASR adapter
// when an ASR address is configured, and the agent console's voice join behind its login.
// It lives apart from the call layer so tests can start exactly what serve starts.
package mount

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"dianbao/bot/server"
	"dianbao/channels/agent"
	"dianbao/channels/voice"
	"dianbao/channels/voice/asr"
	"dianbao/channels/voice/tts"
	"dianbao/channels/voice/vad"
)

// ErrNoSpeech reports that the voice channel could not start for lack of speech synthesis.
var ErrNoSpeech = errors.New("voice: speech synthesis unavailable")

// Options is the `voice:` section of the serve configuration (and its flags).
type Options struct {
	// Disabled turns the voice channel off.
	Disabled bool `yaml:"disabled"`
	// ASRURL is the FunASR runtime WebSocket (ws://host:10095); empty: no server ASR, the
	// widget uses the browser's speech recognition where it exists, else the keypad.
	ASRURL string `yaml:"asr_url"`
	// Espeak is the espeak-ng binary (default: espeak-ng from PATH).
	Espeak string `yaml:"espeak"`
	// Languages a caller may pick in the widget, mapped to TTS voices; default
	// {cmn: Mandarin, yue: Cantonese}.
	Languages map[string]string `yaml:"languages"`
	// Prewarm lists more texts synthesised at start-up (fixed announcements).
	Prewarm []string `yaml:"prewarm"`
	// STUN/TURN servers offered to browsers (e.g. turn:turn.example.cn:3478).
	ICEServers []webrtc.ICEServer `yaml:"ice_servers"`
	// NAT1To1IPs are the public addresses of this host behind 1:1 NAT.
	NAT1To1IPs []string `yaml:"nat_1to1_ips"`
	// UDPPortMin/UDPPortMax bound the media ports (firewall rules).
	UDPPortMin uint16 `yaml:"udp_port_min"`
	UDPPortMax uint16 `yaml:"udp_port_max"`
	// IncludeLoopback gathers 127.0.0.1 candidates (single-host demos and tests).
	IncludeLoopback bool `yaml:"include_loopback"`
	// SilenceTimeout before the bot asks a silent caller whether they can hear it.
	SilenceTimeout time.Duration `yaml:"silence_timeout"`
}

// Voice is the mounted channel; Close (also run when the server drains) hangs up every
// call and stops the prewarm.
type Voice struct {
	Server *voice.Server
	// ASR is the FunASR adapter, nil without --asr-url.
	ASR *asr.FunASR

	log     *slog.Logger
	prewarm chan struct{}
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once
}

// Mount adds /ws/voice, the console's /ws/agent/voice and the voice queue marker to a
// built application. Without espeak-ng it mounts a /ws/voice that tells callers the voice
// service is unavailable and returns ErrNoSpeech for the start-up message.
func Mount(app *server.App, opts Options, logger *slog.Logger) (*Voice, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Disabled {
		app.Server.Handle("GET /ws/voice", unavailable("语音服务暂未开通，请使用在线文字客服，或拨打95598供电服务热线。"))
		return nil, nil
	}
	es, err := tts.NewEspeak(tts.EspeakConfig{Binary: opts.Espeak}, logger)
	if err != nil {
		app.Server.Handle("GET /ws/voice", unavailable("语音服务暂时无法使用，请使用在线文字客服，或拨打95598供电服务热线。"))
		return nil, fmt.Errorf("%w: %w", ErrNoSpeech, err)
	}
	langs := opts.Languages
	if len(langs) == 0 {
		langs = map[string]string{"cmn": tts.VoiceMandarin, "yue": tts.VoiceCantonese}
	}
	for l, v := range langs {
		if _, err := es.Text("", v); err != nil {
			return nil, fmt.Errorf("voice: language %q: %w", l, err)
		}
	}
	cfg := voice.Config{
		Bot:             app.Engine,
		Events:          app.Bus,
		Synthesizer:     tts.NewCache(es, tts.CacheConfig{}, app.Registry),
		Resample:        voice.Resample,
		NewDecoder:      voice.NewOpusDecoder,
		NewEncoder:      voice.NewOpusEncoder,
		NewEndpointer:   voice.NewVADEndpointer(vad.Config{}),
		NewBargeIn:      voice.NewVADBargeIn(vad.BargeInConfig{}),
		Voice:           tts.VoiceMandarin,
		Languages:       langs,
		ICEServers:      opts.ICEServers,
		NAT1To1IPs:      opts.NAT1To1IPs,
		UDPPortMin:      opts.UDPPortMin,
		UDPPortMax:      opts.UDPPortMax,
		IncludeLoopback: opts.IncludeLoopback,
		SilenceTimeout:  opts.SilenceTimeout,
	}
	v := &Voice{log: logger, prewarm: make(chan struct{})}
	if opts.ASRURL != "" {
		f, err := asr.NewFunASR(asr.FunASRConfig{URL: opts.ASRURL, Hotwords: Hotwords()}, logger, app.Registry)
		if err != nil {
			return nil, fmt.Errorf("voice: --asr-url: %w", err)
		}
		v.ASR, cfg.Recognizer = f, f
	}
	vs, err := voice.NewServer(cfg, logger, app.Registry)
	if err != nil {
		return nil, err
	}
	v.Server = vs
	app.Server.Handle("GET /ws/voice", vs)
	app.Server.Handle("GET /ws/agent/voice", agent.VoiceHandler(app.Desk, app.Auth))
	app.Desk.SetVoice(vs)
	app.Server.OnDrain(func() { _ = v.Close() })

	// Prewarm in the background: the server answers at once, fixed prompts are ready
	// within seconds, and a call before that synthesises (and caches) on demand.
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		v.warm(ctx, vs, opts, langs)
	}()
	return v, nil
}

// warm prewarms the default voice (then Prewarmed closes), the other languages' voices,
// and checks that FunASR answers.
func (v *Voice) warm(ctx context.Context, vs *voice.Server, opts Options, langs map[string]string) {
	start := time.Now()
	texts := append(Greetings(vs), opts.Prewarm...)
	err := vs.Prewarm(ctx, texts...)
	close(v.prewarm)
	if err != nil {
		if ctx.Err() == nil {
			v.log.Warn("voice: prewarm", "err", err)
		}
		return
	}
	v.log.Info("voice: prompts prewarmed", "prompts", len(texts)+4, "took", time.Since(start).Round(time.Millisecond))
	for _, name := range langs {
		if name == tts.VoiceMandarin {
			continue
		}
		if err := vs.PrewarmVoice(ctx, name, texts...); err != nil {
			if ctx.Err() == nil {
				v.log.Warn("voice: prewarm", "voice", name, "err", err)
			}
			return
		}
	}
	if v.ASR != nil {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := v.ASR.Ping(pctx); err != nil && ctx.Err() == nil {
			v.log.Warn("voice: FunASR not reachable; callers will be asked to repeat or use the keypad until it is",
				"url", opts.ASRURL, "err", err)
		}
	}
}

// Prewarmed is closed when the start-up prewarm has finished (or given up).
func (v *Voice) Prewarmed() <-chan struct{} { return v.prewarm }

// Close stops the prewarm and hangs up every call.
func (v *Voice) Close() error {
	if v == nil {
		return nil
	}
	v.once.Do(func() {
		v.cancel()
		v.wg.Wait()
		_ = v.Server.Close()
	})
	return nil
}

// greetingTemplate and menuChoices follow the "greeting" entry of dialogs/prompts.yaml;
// TestGreetingsArePrewarmed fails when they drift apart (a drift costs only a cache miss).
const greetingTemplate = "{salutation}！您好，这里是95598智能客服小保，很高兴为您服务。请问有什么可以帮您？"

var menuChoices = []string{"停电报修", "停电信息查询", "电费查询", "工单进度查询", "投诉建议", "转人工"}

// Greetings returns the spoken greeting for every time of day, as the call speaks it.
func Greetings(vs *voice.Server) []string {
	choices := make([]voice.Choice, len(menuChoices))
	for i, c := range menuChoices {
		choices[i] = voice.Choice{Label: c, Value: c}
	}
	var out []string
	for _, s := range []string{"早上好", "上午好", "中午好", "下午好", "晚上好"} {
		out = append(out, vs.Spoken(strings.ReplaceAll(greetingTemplate, "{salutation}", s), choices))
	}
	return out
}

// Hotwords bias FunASR towards the words 95598 callers use.
func Hotwords() map[string]int {
	return map[string]int{"停电": 20, "跳闸": 20, "漏电保护器": 20, "空气开关": 20, "保险丝": 15,
		"电费": 15, "缴费": 15, "户号": 15, "转人工": 20, "报修": 15, "电线": 10, "电表": 10}
}

// unavailable answers every /ws/voice connection with a clear error instead of a dead
// socket, so the widget can say why.
func unavailable(text string) http.Handler {
	up := websocket.Upgrader{HandshakeTimeout: 5 * time.Second}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_ = c.WriteJSON(map[string]string{"type": "error", "code": "unavailable", "message": text})
		_ = c.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "voice unavailable"), time.Now().Add(time.Second))
	})
}
