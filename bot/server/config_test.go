package server

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDefaultConfig(t *testing.T) {
	c, err := LoadConfig("")
	require.NoError(t, err)
	require.True(t, c.Dev)
	require.Len(t, c.Agents, 1)
	require.Equal(t, 10*time.Minute, c.WaitLimit)
	require.NotEmpty(t, c.Canned)
	for _, cr := range c.Canned {
		require.NotEmpty(t, cr.Title)
		require.NotEmpty(t, cr.Text)
	}
}

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	canned := filepath.Join(dir, "canned.yaml")
	require.NoError(t, os.WriteFile(canned, []byte("- title: 问候\n  text: 您好\n- text: 请稍等，我为您查询\n"), 0o644))
	tests := []struct {
		name  string
		raw   string
		err   bool
		check func(t *testing.T, c FileConfig)
	}{
		{"json", `{"operator_token":"t","wait_limit":"5m","service_hours":{"open":"08:00","close":"20:00"},"agents":[{"id":"a","name":"甲","password_hash":"$2a$10$zFJzFWZEidgmb2C226CguuOuCVF.pBZnw1rjseNFLCs.8VzPy6b02"}]}`, false,
			func(t *testing.T, c FileConfig) {
				require.Equal(t, 5*time.Minute, c.WaitLimit)
				require.Equal(t, "08:00", c.ServiceHours.Open)
				require.Equal(t, "甲", c.Agents[0].Name)
			}},
		{"canned file", "canned_replies: " + canned, false, func(t *testing.T, c FileConfig) {
			require.Len(t, c.Canned, 2)
			require.Equal(t, "请稍等，我为您查", c.Canned[1].Title, "a missing title is the start of the text")
		}},
		{"unknown field", `operater_token: x`, true, nil},
		{"bad hours", `service_hours: {open: "8点", close: "20:00"}`, true, nil},
		{"bad duration", `wait_limit: soon`, true, nil},
		{"negative duration", `wait_limit: -1m`, true, nil},
		{"missing canned file", `canned_replies: /nonexistent/canned.yaml`, true, nil},
		{"not yaml", "{{{", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.raw))
			if tc.err {
				require.ErrorIs(t, err, ErrBadConfig)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}
