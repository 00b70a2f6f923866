package agent

import (
	"net/http"
	"slices"

	"dianbao/bot/auth"
	"dianbao/bot/queue"
)

// VoiceCalls is what the console needs of the voice channel: which sessions are phone
// calls, and the agent's side of a call (WebRTC signalling over a WebSocket).
type VoiceCalls interface {
	HasCall(sessionID string) bool
	ServeAgent(w http.ResponseWriter, r *http.Request, sessionID string)
}

// EntryView is a queue entry as the console shows it; Voice marks a caller on the phone
// (📞), whom the agent answers by voice.
type EntryView struct {
	queue.Entry
	Voice bool `json:"voice,omitempty"`
}

// voiceRef holds the voice channel once it is wired; nil while there is none.
type voiceRef struct{ v VoiceCalls }

// SetVoice tells the desk about the voice channel, so queued phone calls are marked and
// agents can join them; nil turns voice off.
func (d *Desk) SetVoice(v VoiceCalls) {
	if v == nil {
		d.voice.Store(nil)
		return
	}
	d.voice.Store(&voiceRef{v: v})
}

func (d *Desk) voiceCalls() VoiceCalls {
	if r := d.voice.Load(); r != nil {
		return r.v
	}
	return nil
}

// entryViews marks the entries that are voice calls.
func (d *Desk) entryViews(es []queue.Entry) []EntryView {
	v := d.voiceCalls()
	out := make([]EntryView, len(es))
	for i, e := range es {
		out[i] = EntryView{Entry: e, Voice: v != nil && v.HasCall(e.Session)}
	}
	return out
}

// isVoice reports whether a session is a voice call in progress.
func (d *Desk) isVoice(session string) bool {
	v := d.voiceCalls()
	return v != nil && v.HasCall(session)
}

// VoiceHandler serves GET /ws/agent/voice?session=ID: the agent's browser joins the
// phone call of a session the agent holds, behind the console login.
func VoiceHandler(desk *Desk, a *auth.Authenticator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.Session(r)
		if err != nil {
			http.Error(w, "未登录", http.StatusUnauthorized)
			return
		}
		if !a.SameOrigin(r) {
			http.Error(w, "跨站请求已拒绝", http.StatusForbidden)
			return
		}
		session := r.URL.Query().Get("session")
		if session == "" {
			http.Error(w, "缺少会话编号（session）。", http.StatusBadRequest)
			return
		}
		if !slices.Contains(desk.Held(s.Agent.ID), session) {
			http.Error(w, "您当前未接待该会话，请先接入。", http.StatusForbidden)
			return
		}
		v := desk.voiceCalls()
		if v == nil || !v.HasCall(session) {
			http.Error(w, "该会话不是语音通话，或通话已结束。", http.StatusNotFound)
			return
		}
		v.ServeAgent(w, r, session)
	})
}
