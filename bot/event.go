package bot

import (
	"time"

	"dianbao/dialogs"
)

// Event types of contract §3. Every channel carries the same events as JSON objects.
const (
	EventMessage  = "message"
	EventTicket   = "ticket"
	EventHandoff  = "handoff"
	EventOutage   = "outage"
	EventResolved = "resolved"
	EventEnd      = "end"
	// EventRating (an extension) records the customer's end-of-chat satisfaction in the
	// transcript; it is never sent back to the customer's channel.
	EventRating = "rating"
)

// Message senders.
const (
	FromBot    = "bot"
	FromAgent  = "agent"
	FromSystem = "system"
)

// Handoff statuses.
const (
	HandoffQueued   = "queued"
	HandoffAssigned = "assigned"
	HandoffReturned = "returned"
	HandoffEnded    = "ended"
)

// Choice is a quick reply (contract §3).
type Choice = dialogs.Choice

// Ticket is a work order as carried in the ticket event (contract §3).
type Ticket struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Status  string            `json:"status"`
	Created time.Time         `json:"created"`
	Due     time.Time         `json:"due"`
	Fields  map[string]string `json:"fields"`
	// Extensions beyond the contract.
	Session string    `json:"session,omitempty"`
	Updated time.Time `json:"updated,omitempty"`
	Rating  int       `json:"rating,omitempty"`
	// FollowUp tracks the 回访 of a resolved ticket: pending until the customer is asked.
	FollowUp string `json:"follow_up,omitempty"`
}

// OutageInfo is the outage of an outage event (contract §3).
type OutageInfo struct {
	ID    string    `json:"id"`
	Kind  string    `json:"kind"`
	Area  string    `json:"area"`
	Cause string    `json:"cause"`
	Start time.Time `json:"start"`
	ETA   time.Time `json:"eta"`
}

// Event is one contract event. Only the fields of its Type are set.
type Event struct {
	Type string `json:"type"`

	// message
	From    string   `json:"from,omitempty"`
	Text    string   `json:"text,omitempty"`
	Expect  *string  `json:"expect,omitempty"` // always present on messages, possibly ""
	Choices []Choice `json:"choices,omitempty"`

	// ticket
	Ticket *Ticket `json:"ticket,omitempty"`

	// handoff
	Status     string `json:"status,omitempty"`
	Priority   string `json:"priority,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Position   int    `json:"position,omitempty"`
	ETASeconds int    `json:"eta_seconds,omitempty"`

	// outage
	Outage *OutageInfo `json:"outage,omitempty"`

	// resolved
	How string `json:"how,omitempty"`

	// rating: 1–5 stars
	Rating int `json:"rating,omitempty"`

	// Extensions: when the event happened and which session it belongs to.
	Time    time.Time `json:"time,omitzero"`
	Session string    `json:"session,omitempty"`
}

// Message builds a message event; expect is always serialised, empty or not.
func Message(from, text, expect string, choices []Choice) Event {
	return Event{Type: EventMessage, From: from, Text: text, Expect: &expect, Choices: choices}
}
