package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"gopkg.in/yaml.v3"

	"dianbao/bot/server"
	"dianbao/channels/voice/mount"
)

// voiceFlags are the serve flags of the voice channel; set flags win over the config file.
type voiceFlags struct {
	asrURL  string
	noVoice bool
	fl      *flag.FlagSet
}

func addVoiceFlags(fl *flag.FlagSet) *voiceFlags {
	v := &voiceFlags{fl: fl}
	fl.StringVar(&v.asrURL, "asr-url", "", "FunASR runtime WebSocket for voice calls, e.g. ws://127.0.0.1:10095 (config: voice.asr_url); empty: keypad and browser speech recognition")
	fl.BoolVar(&v.noVoice, "no-voice", false, "turn the voice channel (/voice, /ws/voice) off (config: voice.disabled)")
	return v
}

func (v *voiceFlags) apply(o *mount.Options) {
	v.fl.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "asr-url":
			o.ASRURL = v.asrURL
		case "no-voice":
			o.Disabled = v.noVoice
		}
	})
}

// loadServeConfig reads the serve configuration; its `voice:` section belongs to the voice
// channel and is taken out before the rest is parsed by the server.
func loadServeConfig(path string) (server.FileConfig, mount.Options, error) {
	var opts mount.Options
	if path == "" {
		cfg, err := server.LoadConfig("")
		return cfg, opts, err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return server.FileConfig{}, opts, fmt.Errorf("%w: %v", server.ErrBadConfig, err)
	}
	rest, section, err := splitVoiceSection(raw)
	if err != nil {
		return server.FileConfig{}, opts, fmt.Errorf("%w: %v", server.ErrBadConfig, err)
	}
	if section != nil {
		dec := yaml.NewDecoder(bytes.NewReader(section))
		dec.KnownFields(true)
		if err := dec.Decode(&opts); err != nil && !errors.Is(err, io.EOF) {
			return server.FileConfig{}, opts, fmt.Errorf("%w: voice: %v", server.ErrBadConfig, err)
		}
	}
	cfg, err := server.ParseConfig(rest)
	return cfg, opts, err
}

// splitVoiceSection removes the top-level `voice` key from a YAML (or JSON) document and
// returns the remaining document and the section, each re-encoded as YAML.
func splitVoiceSection(raw []byte) (rest, section []byte, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return raw, nil, nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "voice" {
			continue
		}
		if section, err = yaml.Marshal(m.Content[i+1]); err != nil {
			return nil, nil, err
		}
		m.Content = append(m.Content[:i], m.Content[i+2:]...)
		break
	}
	if rest, err = yaml.Marshal(&doc); err != nil {
		return nil, nil, err
	}
	return rest, section, nil
}

// startVoice mounts the voice channel and says on stdout how calls will be understood; a
// missing espeak-ng is a clear message and the rest of the server still runs.
func startVoice(app *server.App, opts mount.Options, stdout io.Writer, base string, logger *slog.Logger) (*mount.Voice, error) {
	v, err := mount.Mount(app, opts, logger)
	switch {
	case errors.Is(err, mount.ErrNoSpeech):
		fmt.Fprintf(stdout, "  voice calls                     OFF: espeak-ng is missing (apt-get install espeak-ng): %v\n", err)
		return nil, nil
	case err != nil:
		return nil, err
	case v == nil:
		fmt.Fprintf(stdout, "  voice calls                     off (voice.disabled)\n")
		return nil, nil
	}
	how := "keypad, and the browser's own speech recognition where it has one (no --asr-url)"
	if v.ASR != nil {
		how = "FunASR at " + opts.ASRURL
	}
	fmt.Fprintf(stdout, "  voice widget                    %s/voice  (speech: espeak-ng; understanding: %s)\n", base, how)
	return v, nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
