package dialogs

// TEMPORARY scaffold so the runtime compiles while the dialogs are written; the dialogs
// helper replaces this file, keeping these exported signatures.

import "time"

// Config configures the machine.
type Config struct {
	Commitments Commitments
}

// Commitments are the service deadlines of the 供电服务十项承诺 (configuration).
type Commitments struct{}

// DefaultCommitments returns the State Grid defaults.
func DefaultCommitments() Commitments { return Commitments{} }

// Due computes a ticket's due time from its kind and fields (area_class for repairs).
func (c Commitments) Due(kind string, fields map[string]string, from time.Time) time.Time {
	return from.Add(24 * time.Hour)
}

// State is the whole conversation state of one session; JSON-serialisable.
type State struct {
	Dialog string            `json:"dialog,omitempty"`
	Step   string            `json:"step,omitempty"`
	Slots  map[string]string `json:"slots,omitempty"`
}

// Machine steps conversations.
type Machine struct{ cfg Config }

// New builds a machine with its embedded prompt catalogue and knowledge file.
func New(cfg Config) (*Machine, error) { return &Machine{cfg: cfg}, nil }

// Step advances the conversation by one turn.
func (m *Machine) Step(st State, t Turn) (State, []Action) {
	return st, []Action{Say{Text: "您好", Expect: ExpectMenu}}
}
