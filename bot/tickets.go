package bot

import "context"

// Ticket returns a work order by id.
func (e *Engine) Ticket(ctx context.Context, id string) (Ticket, error) {
	return e.cfg.Store.Ticket(ctx, id)
}

// Tickets lists work orders for operators, newest first.
func (e *Engine) Tickets(ctx context.Context, f TicketFilter) ([]Ticket, error) {
	return e.cfg.Store.Tickets(ctx, f)
}
