package server

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"dianbao/bot/auth"
	"dianbao/bot/queue"
	"dianbao/channels/agent"
)

//go:embed default.yaml
var defaultConfig []byte

//go:embed canned.yaml
var defaultCanned []byte

// ErrBadConfig wraps every configuration problem.
var ErrBadConfig = errors.New("server: bad configuration")

// FileConfig is the `dianbao serve --config FILE` file, YAML or JSON.
type FileConfig struct {
	Dev           bool          `yaml:"dev"`
	OperatorToken string        `yaml:"operator_token"`
	Agents        []auth.Agent  `yaml:"agents"`
	DevPassword   string        `yaml:"dev_password"`
	ServiceHours  queue.Hours   `yaml:"service_hours"`
	WaitLimit     time.Duration `yaml:"wait_limit"`
	DefaultHandle time.Duration `yaml:"default_handle"`
	CannedReplies string        `yaml:"canned_replies"`
	WidgetOrigins []string      `yaml:"widget_origins"`
	SecureCookie  bool          `yaml:"secure_cookie"`
	ChatLimits    ChatLimits    `yaml:"chat_limits"`

	// Canned is loaded from CannedReplies (or the embedded default).
	Canned []agent.Canned `yaml:"-"`
}

// ChatLimits are the web chat's token buckets (messages per second and burst), per
// connection and per client address; zero fields take the channel's defaults.
type ChatLimits struct {
	PerConnection float64 `yaml:"per_connection"`
	ConnBurst     int     `yaml:"connection_burst"`
	PerIP         float64 `yaml:"per_ip"`
	IPBurst       int     `yaml:"ip_burst"`
	// TrustForwardedFor keys the per-IP bucket on X-Forwarded-For (behind nginx only).
	TrustForwardedFor bool `yaml:"trust_forwarded_for"`
}

// LoadConfig reads path, or the embedded development default when path is empty.
func LoadConfig(path string) (FileConfig, error) {
	raw := defaultConfig
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return FileConfig{}, fmt.Errorf("%w: %v", ErrBadConfig, err)
		}
		raw = b
	}
	return ParseConfig(raw)
}

// ParseConfig parses and validates a configuration (JSON is valid YAML).
func ParseConfig(raw []byte) (FileConfig, error) {
	var c FileConfig
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return FileConfig{}, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	if err := c.ServiceHours.Validate(); err != nil {
		return FileConfig{}, fmt.Errorf("%w: service_hours: %v", ErrBadConfig, err)
	}
	if l := c.ChatLimits; l.PerConnection < 0 || l.PerIP < 0 || l.ConnBurst < 0 || l.IPBurst < 0 {
		return FileConfig{}, fmt.Errorf("%w: chat_limits must not be negative", ErrBadConfig)
	}
	if c.WaitLimit < 0 || c.DefaultHandle < 0 {
		return FileConfig{}, fmt.Errorf("%w: negative duration", ErrBadConfig)
	}
	canned := defaultCanned
	if c.CannedReplies != "" {
		b, err := os.ReadFile(c.CannedReplies)
		if err != nil {
			return FileConfig{}, fmt.Errorf("%w: canned_replies: %v", ErrBadConfig, err)
		}
		canned = b
	}
	if err := yaml.Unmarshal(canned, &c.Canned); err != nil {
		return FileConfig{}, fmt.Errorf("%w: canned replies: %v", ErrBadConfig, err)
	}
	for i, cr := range c.Canned {
		if strings.TrimSpace(cr.Text) == "" {
			return FileConfig{}, fmt.Errorf("%w: canned reply %d has no text", ErrBadConfig, i+1)
		}
		if cr.Title == "" {
			c.Canned[i].Title = string([]rune(cr.Text)[:min(8, len([]rune(cr.Text)))])
		}
	}
	return c, nil
}
