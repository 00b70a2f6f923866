package bot

import (
	"fmt"
	"slices"
	"time"

	"dianbao/dialogs"
)

// Ticket statuses: the 闭环 lifecycle of a work order.
const (
	StatusOpen       = "open"
	StatusDispatched = "dispatched"
	StatusOnSite     = "on_site"
	StatusResolved   = "resolved"
	StatusClosed     = "closed"
)

// 回访 states of a resolved ticket (Ticket.FollowUp).
const (
	FollowUpPending = "pending" // resolved; the satisfaction question waits for the customer
	FollowUpAsked   = "asked"   // the question was put to the customer
)

// ticketPrefix gives each contract kind its two-letter id prefix.
var ticketPrefix = map[string]string{
	dialogs.KindRepair:     "RP",
	dialogs.KindEmergency:  "EM",
	dialogs.KindComplaint:  "CP",
	dialogs.KindReport:     "RT",
	dialogs.KindSuggestion: "SG",
	dialogs.KindPraise:     "PR",
	dialogs.KindConsult:    "CS",
	dialogs.KindCallback:   "CB",
}

// transitions lists the allowed moves. Field work goes open → dispatched → on_site →
// resolved; desk cases (complaints, consults…) may go straight from open or dispatched to
// resolved; only a resolved case is closed, after the 回访.
var transitions = map[string][]string{
	StatusOpen:       {StatusDispatched, StatusResolved},
	StatusDispatched: {StatusOnSite, StatusResolved},
	StatusOnSite:     {StatusResolved},
	StatusResolved:   {StatusClosed},
}

// TicketPrefix returns the id prefix of a kind and whether the kind is known.
func TicketPrefix(kind string) (string, bool) {
	p, ok := ticketPrefix[kind]
	return p, ok
}

// validStatus reports whether s is a lifecycle status.
func validStatus(s string) bool {
	switch s {
	case StatusOpen, StatusDispatched, StatusOnSite, StatusResolved, StatusClosed:
		return true
	}
	return false
}

// Transition moves t to status to at now, or returns an error wrapping ErrBadTransition.
func (t *Ticket) Transition(to string, now time.Time) error {
	if !validStatus(to) {
		return fmt.Errorf("%w: unknown status %q", ErrBadTransition, to)
	}
	if !slices.Contains(transitions[t.Status], to) {
		return fmt.Errorf("%w: %s → %s", ErrBadTransition, t.Status, to)
	}
	t.Status = to
	t.Updated = now
	return nil
}

// ticketID formats e.g. RP202611230001 from the kind prefix, the local date and the
// sequence; past 9999 a day the number simply grows wider.
func ticketID(prefix string, day time.Time, seq int64) string {
	return fmt.Sprintf("%s%s%04d", prefix, day.Format("20060102"), seq)
}

// SortTickets orders tickets newest first (id breaks ties, so the order is stable).
func SortTickets(ts []Ticket) {
	slices.SortFunc(ts, func(a, b Ticket) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		switch {
		case a.ID > b.ID:
			return -1
		case a.ID < b.ID:
			return 1
		}
		return 0
	})
}

// FilterTickets applies f (Limit included) to tickets already sorted newest first.
func FilterTickets(ts []Ticket, f TicketFilter) []Ticket {
	out := ts[:0:0]
	for _, t := range ts {
		if f.Match(t) {
			out = append(out, t)
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out
}

func (t Ticket) view() dialogs.TicketView {
	return dialogs.TicketView{ID: t.ID, Kind: t.Kind, Status: t.Status, Created: t.Created, Due: t.Due, Fields: t.Fields}
}
