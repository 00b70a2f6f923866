// Package dialogs holds the 95598 conversations as explicit, pure state machines: a step
// takes the conversation state and the understanding of one customer turn and returns the
// new state and an ordered list of actions (replies to say, effects for the runtime to
// perform). Nothing here does I/O; lookups go through the read-only World the runtime
// passes in, so every transition is a plain function call in a table test.
package dialogs

import (
	"time"

	"dianbao/nlu"
)

// Expect slot names (contract §3): what the bot waits for after a message.
const (
	ExpectNone         = ""
	ExpectMenu         = "menu"
	ExpectScope        = "scope"
	ExpectBreaker      = "breaker"
	ExpectFuse         = "fuse"
	ExpectPrepaid      = "prepaid"
	ExpectRestored     = "restored"
	ExpectAddress      = "address"
	ExpectPhone        = "phone"
	ExpectName         = "name"
	ExpectAccount      = "account"
	ExpectVerify       = "verify"
	ExpectTicketID     = "ticket_id"
	ExpectDetail       = "detail"
	ExpectConfirm      = "confirm"
	ExpectSatisfaction = "satisfaction"
)

// Ticket kinds (contract §3).
const (
	KindRepair     = "repair"
	KindEmergency  = "emergency"
	KindComplaint  = "complaint"
	KindReport     = "report"
	KindSuggestion = "suggestion"
	KindPraise     = "praise"
	KindConsult    = "consult"
	KindCallback   = "callback"
)

// Handoff priorities (contract §3).
const (
	PriorityEmergency = "emergency"
	PriorityHigh      = "high"
	PriorityNormal    = "normal"
)

// How values of the resolved event (contract §3).
const (
	HowSelfService = "self_service"
	HowInfo        = "info"
	HowTicket      = "ticket"
	HowAgent       = "agent"
)

// Turn kinds: most turns are customer utterances; the runtime also steps the machine when a
// session opens, when an agent hands a session back, and to deliver a pending 回访.
const (
	TurnUtterance = ""
	TurnOpen      = "open"     // a new session: greet
	TurnReturned  = "returned" // an agent returned the session to the bot
	TurnFollowUp  = "followup" // a resolved repair asks for satisfaction (回访); Turn.Ticket set
)

// Choice is a quick reply offered with a message; Value is sent back as the customer's text.
type Choice struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Outage is a known planned or fault outage, as in outages.json (contract §5).
type Outage struct {
	ID    string    `json:"id"`
	Kind  string    `json:"kind"` // planned | fault
	Area  string    `json:"area"`
	Match []string  `json:"match,omitempty"`
	Cause string    `json:"cause"`
	Start time.Time `json:"start"`
	ETA   time.Time `json:"eta"`
}

// Bill is the last bill of an account.
type Bill struct {
	Month  string  `json:"month"`
	KWh    float64 `json:"kwh"`
	Amount float64 `json:"amount"`
}

// Account is a customer account, as in accounts.json (contract §5).
type Account struct {
	Account  string  `json:"account"`
	Name     string  `json:"name"`
	Phone    string  `json:"phone"`
	Address  string  `json:"address"`
	Meter    string  `json:"meter"` // prepaid | postpaid
	Balance  float64 `json:"balance"`
	Arrears  float64 `json:"arrears"`
	LastBill Bill    `json:"last_bill"`
}

// TicketView is what a dialog may read of an existing ticket.
type TicketView struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Status  string            `json:"status"`
	Created time.Time         `json:"created"`
	Due     time.Time         `json:"due"`
	Fields  map[string]string `json:"fields"`
}

// World is the read-only view of the runtime a dialog may consult during a step.
type World interface {
	// Outages returns the outages whose match strings occur in address and that are in
	// force at now or start within the given horizon after now.
	Outages(address string, now time.Time, horizon time.Duration) []Outage
	// Account finds an account by account number or by the holder's phone.
	Account(accountOrPhone string) (Account, bool)
	// Ticket finds a ticket by id; TicketsByPhone finds a caller's tickets, newest first.
	Ticket(id string) (TicketView, bool)
	TicketsByPhone(phone string) []TicketView
	// AgentsAvailable reports whether a human could take a handoff now (online agents
	// within service hours); when false a handoff becomes a callback ticket.
	AgentsAvailable() bool
}

// Turn is one input to a step.
type Turn struct {
	Kind   string     // TurnUtterance, TurnOpen, TurnReturned, TurnFollowUp
	Parse  nlu.Result // the customer's utterance (Kind == TurnUtterance)
	Now    time.Time
	World  World
	Ticket *TicketView // the resolved ticket for TurnFollowUp
}

// Action is one item of a step's ordered output: a Say or one of the effects below.
type Action interface{ action() }

// Say is a bot message. Text may hold the placeholders {ticket_id} and {due}, which the
// runtime fills from the latest ticket it created in the same step.
type Say struct {
	Text    string
	Expect  string
	Choices []Choice
}

// CreateTicket asks the runtime to open a work order; the runtime computes the id and the
// due time from the commitments.
type CreateTicket struct {
	Kind   string
	Fields map[string]string // address, phone, name, detail, category, area_class, …
}

// Handoff asks the runtime to queue the session for a human agent.
type Handoff struct {
	Priority string
	Reason   string // request | not_understood | agitation | emergency | verify_failed | …
	Summary  string // one line for the agent's queue
}

// ShowOutage asks the runtime to send an outage event.
type ShowOutage struct{ Outage Outage }

// Resolved marks the customer's need as met.
type Resolved struct{ How string }

// RateTicket records the customer's satisfaction with a ticket (回访), 1–5.
type RateTicket struct {
	TicketID string
	Rating   int
}

// End closes the conversation.
type End struct{}

func (Say) action()          {}
func (CreateTicket) action() {}
func (Handoff) action()      {}
func (ShowOutage) action()   {}
func (Resolved) action()     {}
func (RateTicket) action()   {}
func (End) action()          {}
