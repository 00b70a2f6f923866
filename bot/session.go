package bot

import (
	"maps"
	"slices"
	"time"

	"dianbao/dialogs"
)

// Mode says who answers a session: the bot, nobody yet (waiting for a human) or an agent.
type Mode string

// Session modes. While queued or with an agent the dialogs are not stepped, so the bot
// never answers over a human.
const (
	ModeBot    Mode = "bot"
	ModeQueued Mode = "queued"
	ModeAgent  Mode = "agent"
)

// FromCustomer marks the customer's own messages in a transcript (an extension of the
// contract's senders; channels never receive it back from Handle).
const FromCustomer = "customer"

// Session is everything the runtime keeps about one conversation; it is stored as JSON.
type Session struct {
	ID      string        `json:"id"`
	Mode    Mode          `json:"mode"`
	State   dialogs.State `json:"state"`
	Created time.Time     `json:"created"`
	Updated time.Time     `json:"updated"`
	// Expect and Choices repeat the bot's last question, so a reply to bad input can ask
	// it again and a channel can map "1" to the first choice.
	Expect  string   `json:"expect,omitempty"`
	Choices []Choice `json:"choices,omitempty"`
	// Handoff is set while the session is queued for or held by a human.
	Handoff *HandoffInfo `json:"handoff,omitempty"`
	// Tickets are the ids created in this session, oldest first.
	Tickets  []string `json:"tickets,omitempty"`
	Resolved string   `json:"resolved,omitempty"`
	// FollowUpSeen records the caller identity ("#" and the phone, if any) last checked
	// for a pending 回访, so the lookup runs once per identity.
	FollowUpSeen string `json:"follow_up_seen,omitempty"`
	Ended        bool   `json:"ended,omitempty"`
	// Satisfaction is the customer's end-of-chat rating, 1–5 (0: not rated), from the
	// widget's stars or the dialogs' satisfaction question; the latest answer counts.
	Satisfaction int       `json:"satisfaction,omitempty"`
	RatedAt      time.Time `json:"rated_at,omitzero"`
	// Transcript is every event of the session in order, customer messages included.
	Transcript []Event `json:"transcript,omitempty"`
}

// Clone returns a copy sharing nothing the engine changes, so a store may keep sessions
// in memory without aliasing. Recorded events, choices and ticket ids are never changed
// in place, so their slices are shared, clipped so that an append copies.
func (s Session) Clone() Session {
	st := &s.State
	st.Slots, st.Facts, st.Asked = maps.Clone(st.Slots), maps.Clone(st.Facts), maps.Clone(st.Asked)
	if st.Paused != nil {
		p := *st.Paused
		p.Facts = maps.Clone(p.Facts)
		st.Paused = &p
	}
	if s.Handoff != nil {
		h := *s.Handoff
		s.Handoff = &h
	}
	s.Choices, s.Tickets, s.Transcript = slices.Clip(s.Choices), slices.Clip(s.Tickets), slices.Clip(s.Transcript)
	return s
}

// startOver begins a new conversation in an ended session, keeping its transcript and
// tickets.
func (s *Session) startOver() {
	s.State, s.Ended, s.Resolved, s.Mode, s.Handoff, s.FollowUpSeen = dialogs.State{}, false, "", ModeBot, nil, ""
}

// HandoffInfo describes the wait for, or the hold by, a human agent.
type HandoffInfo struct {
	Priority   string    `json:"priority"`
	Reason     string    `json:"reason"`
	Summary    string    `json:"summary,omitempty"`
	QueuedAt   time.Time `json:"queued_at"`
	AgentID    string    `json:"agent_id,omitempty"`
	AssignedAt time.Time `json:"assigned_at,omitzero"`
}

// priorityRank orders handoff priorities, most urgent first.
func priorityRank(p string) int {
	switch p {
	case dialogs.PriorityEmergency:
		return 0
	case dialogs.PriorityHigh:
		return 1
	default:
		return 2
	}
}
