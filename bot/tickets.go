package bot

import (
	"context"
	"errors"
	"fmt"

	"dianbao/dialogs"
)

// Ticket returns a work order by id.
func (e *Engine) Ticket(ctx context.Context, id string) (Ticket, error) {
	return e.cfg.Store.Ticket(ctx, id)
}

// Tickets lists work orders for operators, newest first.
func (e *Engine) Tickets(ctx context.Context, f TicketFilter) ([]Ticket, error) {
	return e.cfg.Store.Tickets(ctx, f)
}

// UpdateTicket moves a ticket along its lifecycle (ErrBadTransition otherwise). When it
// becomes resolved and its session is still live with the bot, the dialogs ask the 回访
// satisfaction question at once; the events go out on the bus and are returned.
func (e *Engine) UpdateTicket(ctx context.Context, id, status string) (Ticket, []Event, error) {
	unlock, err := e.cfg.Store.Lock(ctx, "ticket:"+id, e.cfg.LockTTL)
	if err != nil {
		return Ticket{}, nil, err
	}
	t, err := e.cfg.Store.Ticket(ctx, id)
	if err == nil {
		err = t.Transition(status, e.cfg.Now())
	}
	if err == nil {
		err = e.cfg.Store.PutTicket(ctx, t)
	}
	unlock()
	if err != nil {
		return Ticket{}, nil, err
	}
	e.log.Info("ticket status", "ticket_id", t.ID, "status", t.Status)
	if t.Status != StatusResolved || t.Session == "" {
		return t, nil, nil
	}
	view := t.view()
	evs, err := e.agentTurn(ctx, t.Session, func(s *Session, tc *turnCtx) ([]Event, error) {
		if s.Mode != ModeBot || s.Ended {
			tc.noSave = true
			return nil, nil
		}
		return e.step(ctx, s, tc, dialogs.Turn{Kind: dialogs.TurnFollowUp, Ticket: &view})
	})
	if errors.Is(err, ErrNotFound) { // the customer has left; 回访 by phone instead
		return t, nil, nil
	}
	if err != nil {
		return t, nil, fmt.Errorf("follow-up: %w", err)
	}
	return t, evs, nil
}
