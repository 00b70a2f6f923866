package bot

import (
	"context"
	"errors"
	"fmt"

	"dianbao/dialogs"
)

// The 回访 (follow-up) closes the loop of a resolved ticket: the customer is asked for
// satisfaction, and the rating closes the ticket. A ticket resolved while its customer is
// in a live bot conversation is asked about at once (UpdateTicket); otherwise it stays
// FollowUpPending and is asked when the customer comes back: on Open of the same session,
// or in any session once the caller gives a phone that has a pending 回访.

// deliverFollowUp asks about t in s now and marks it asked.
func (e *Engine) deliverFollowUp(ctx context.Context, s *Session, tc *turnCtx, t Ticket) ([]Event, error) {
	if s.Ended { // a customer back after goodbye starts a new conversation
		s.startOver()
	}
	view := t.view()
	evs, err := e.step(ctx, s, tc, dialogs.Turn{Kind: dialogs.TurnFollowUp, Ticket: &view})
	if err != nil {
		return nil, err
	}
	tc.log.Info("follow-up asked", "ticket_id", t.ID)
	return evs, nil
}

// resting reports whether the bot waits for nothing in particular, so a 回访 question
// does not cut into a dialog.
func resting(s *Session) bool {
	return s.Mode == ModeBot && !s.Ended && s.State.FollowUp == "" &&
		(s.Expect == dialogs.ExpectMenu || s.Expect == dialogs.ExpectNone)
}

// offerFollowUp asks the newest pending 回访 of this session or of the caller's phone.
// The lookup runs again only when the caller's phone changes (or when force is set, on
// Open), so ordinary turns cost no store read. A store failure is logged, never fatal:
// the 回访 waits for the next visit.
func (e *Engine) offerFollowUp(ctx context.Context, s *Session, tc *turnCtx, force bool) []Event {
	phone := digits(s.State.Slot(dialogs.SlotPhone))
	key := "#" + phone
	if !force && s.FollowUpSeen == key {
		return nil
	}
	s.FollowUpSeen = key
	filters := []TicketFilter{{Session: s.ID, FollowUp: FollowUpPending, Limit: 1}}
	if phone != "" {
		filters = append(filters, TicketFilter{Phone: phone, FollowUp: FollowUpPending, Limit: 1})
	}
	for _, f := range filters {
		ts, err := e.cfg.Store.Tickets(ctx, f)
		if err != nil {
			tc.log.Warn("look up pending follow-ups", "phone", Mask(phone), "err", err)
			continue
		}
		for _, t := range ts {
			claimed, err := e.claimFollowUp(ctx, t.ID)
			if err != nil {
				tc.log.Warn("claim follow-up", "ticket_id", t.ID, "err", err)
				continue
			}
			if !claimed {
				continue
			}
			evs, err := e.deliverFollowUp(ctx, s, tc, t)
			if err != nil {
				tc.log.Warn("ask follow-up", "ticket_id", t.ID, "err", err)
				return nil
			}
			return evs
		}
	}
	return nil
}

// claimFollowUp marks a pending 回访 asked under the ticket's lock, so two sessions of
// the same caller (or two instances) never both ask it.
func (e *Engine) claimFollowUp(ctx context.Context, id string) (bool, error) {
	unlock, err := e.cfg.Store.Lock(ctx, ticketLock(id), e.cfg.LockTTL)
	if err != nil {
		return false, err
	}
	defer unlock()
	t, err := e.cfg.Store.Ticket(ctx, id)
	if err != nil || t.FollowUp != FollowUpPending {
		return false, err
	}
	t.FollowUp = FollowUpAsked
	return true, e.cfg.Store.PutTicket(ctx, t)
}

// ticketLock is the lock key of a ticket, apart from the session ids.
func ticketLock(id string) string { return "ticket\x00" + id }

// UpdateTicket moves a ticket along its lifecycle (ErrBadTransition otherwise). A ticket
// that becomes resolved gets its 回访: asked at once when its session is live with the
// bot (the events go out on the bus and are returned), else left pending for the
// customer's return.
func (e *Engine) UpdateTicket(ctx context.Context, id, status string) (Ticket, []Event, error) {
	t, err := e.transition(ctx, id, status)
	if err != nil {
		return Ticket{}, nil, err
	}
	e.log.Info("ticket status", "session_id", t.Session, "ticket_id", t.ID, "status", t.Status)
	if t.Status != StatusResolved || t.Session == "" {
		return t, nil, nil
	}
	evs, err := e.agentTurn(ctx, t.Session, func(s *Session, tc *turnCtx) ([]Event, error) {
		if s.Mode != ModeBot || s.Ended {
			tc.noSave = true
			return nil, nil
		}
		claimed, err := e.claimFollowUp(ctx, t.ID)
		if err != nil || !claimed {
			tc.noSave = true
			return nil, err
		}
		return e.deliverFollowUp(ctx, s, tc, t)
	})
	if errors.Is(err, ErrNotFound) { // the customer has left: asked on their return
		return t, nil, nil
	}
	if err != nil {
		return t, nil, fmt.Errorf("follow-up: %w", err)
	}
	if len(evs) > 0 {
		t.FollowUp = FollowUpAsked
	}
	return t, evs, nil
}

// transition changes a ticket's status under its lock; a newly resolved ticket is
// marked for 回访.
func (e *Engine) transition(ctx context.Context, id, status string) (Ticket, error) {
	unlock, err := e.cfg.Store.Lock(ctx, ticketLock(id), e.cfg.LockTTL)
	if err != nil {
		return Ticket{}, err
	}
	defer unlock()
	t, err := e.cfg.Store.Ticket(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if err := t.Transition(status, e.cfg.Now()); err != nil {
		return Ticket{}, err
	}
	if status == StatusResolved {
		t.FollowUp = FollowUpPending
	}
	if err := e.cfg.Store.PutTicket(ctx, t); err != nil {
		return Ticket{}, err
	}
	return t, nil
}
