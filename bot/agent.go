package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"dianbao/dialogs"
)

// The operations below serve the agent console and operators. Each runs as a locked turn
// of the session, so they are atomic with respect to customer turns and to each other
// (two agents cannot both take a session).

// Session returns a session as stored (ErrNotFound when unknown or expired; an idle
// session is still returned until the store drops it, see Session.Updated).
func (e *Engine) Session(ctx context.Context, sessionID string) (Session, error) {
	return e.cfg.Store.Session(ctx, sessionID)
}

// History returns the whole transcript of a session, customer messages included, each
// event stamped with its time; channels use it to show a resumed conversation again.
func (e *Engine) History(ctx context.Context, sessionID string) ([]Event, error) {
	s, err := e.cfg.Store.Session(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	return s.Transcript, nil
}

// Sessions lists the live sessions, most recently active first.
func (e *Engine) Sessions(ctx context.Context) ([]Session, error) {
	all, err := e.cfg.Store.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	all = e.live(all)
	slices.SortFunc(all, func(a, b Session) int { return b.Updated.Compare(a.Updated) })
	return all, nil
}

// Queue lists the sessions waiting for a human in the order they will be served:
// emergency, high, normal, first come first served within each.
func (e *Engine) Queue(ctx context.Context) ([]Session, error) {
	all, err := e.cfg.Store.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	all = slices.DeleteFunc(e.live(all), func(s Session) bool { return s.Mode != ModeQueued || s.Handoff == nil })
	slices.SortFunc(all, func(a, b Session) int {
		if queuedBefore(a, b) {
			return -1
		}
		return 1
	})
	return all, nil
}

// Assign gives a queued session to agentID. A session that is not waiting (already taken,
// returned or unknown) gives an error wrapping ErrBadMode or ErrNotFound.
func (e *Engine) Assign(ctx context.Context, sessionID, agentID string) ([]Event, error) {
	if strings.TrimSpace(agentID) == "" {
		return nil, fmt.Errorf("%w: empty agent id", ErrBadInput)
	}
	return e.agentTurn(ctx, sessionID, func(s *Session, tc *turnCtx) ([]Event, error) {
		if s.Mode != ModeQueued || s.Handoff == nil {
			return nil, fmt.Errorf("%w: session is %s", ErrBadMode, s.Mode)
		}
		s.Mode = ModeAgent
		s.Handoff.AgentID, s.Handoff.AssignedAt = agentID, tc.now
		s.Expect, s.Choices = "", nil
		tc.log.Info("assigned", "agent_id", agentID)
		return []Event{handoffEvent(HandoffAssigned, s.Handoff, 0, 0), Message(FromSystem, e.cfg.Texts.AgentJoined, "", nil)}, nil
	})
}

// AgentSay sends the holding agent's message to the customer.
func (e *Engine) AgentSay(ctx context.Context, sessionID, agentID, text string) ([]Event, error) {
	if notice := e.checkInput(text); notice != "" {
		return nil, fmt.Errorf("%w: agent message is empty, too long or not UTF-8", ErrBadInput)
	}
	return e.agentTurn(ctx, sessionID, func(s *Session, tc *turnCtx) ([]Event, error) {
		if err := holds(s, agentID); err != nil {
			return nil, err
		}
		return []Event{Message(FromAgent, text, "", nil)}, nil
	})
}

// Return hands the session back to the bot, which carries on from its dialog state.
func (e *Engine) Return(ctx context.Context, sessionID, agentID string) ([]Event, error) {
	return e.agentTurn(ctx, sessionID, func(s *Session, tc *turnCtx) ([]Event, error) {
		if err := holds(s, agentID); err != nil {
			return nil, err
		}
		out := []Event{handoffEvent(HandoffReturned, s.Handoff, 0, 0)}
		s.Mode, s.Handoff = ModeBot, nil
		evs, err := e.step(ctx, s, tc, dialogs.Turn{Kind: dialogs.TurnReturned})
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(evs, func(ev Event) bool { return ev.Type == EventMessage }) {
			out = append(out, Message(FromSystem, e.cfg.Texts.Returned, dialogs.ExpectMenu, nil))
		}
		return append(out, evs...), nil
	})
}

// Dispositions of End.
const (
	DispositionResolved   = "resolved"   // the agent met the need
	DispositionUnresolved = "unresolved" // e.g. a ticket follows, or the customer left
)

// End closes a queued or held session with a disposition; "resolved" counts as resolved
// by an agent (not contained by the bot).
func (e *Engine) End(ctx context.Context, sessionID, disposition string) ([]Event, error) {
	return e.agentTurn(ctx, sessionID, func(s *Session, tc *turnCtx) ([]Event, error) {
		if s.Mode == ModeBot || s.Handoff == nil {
			return nil, fmt.Errorf("%w: session is %s", ErrBadMode, s.Mode)
		}
		out := []Event{handoffEvent(HandoffEnded, s.Handoff, 0, 0), Message(FromSystem, e.cfg.Texts.AgentEnded, "", nil)}
		if disposition == DispositionResolved {
			s.Resolved = dialogs.HowAgent
			e.m.resolved.WithLabelValues(dialogs.HowAgent).Inc()
			out = append(out, Event{Type: EventResolved, How: dialogs.HowAgent})
		}
		s.Mode, s.Handoff, s.Ended = ModeBot, nil, true
		s.Expect, s.Choices = "", nil
		tc.log.Info("ended by agent", "disposition", cmp.Or(disposition, "-"))
		return append(out, Event{Type: EventEnd}), nil
	})
}

func holds(s *Session, agentID string) error {
	if s.Mode != ModeAgent || s.Handoff == nil {
		return fmt.Errorf("%w: session is %s", ErrBadMode, s.Mode)
	}
	if agentID != "" && s.Handoff.AgentID != agentID {
		return fmt.Errorf("%w: session is held by another agent", ErrBadMode)
	}
	return nil
}

// agentTurn runs an operation on an existing session; it never creates one.
func (e *Engine) agentTurn(ctx context.Context, id string, fn func(*Session, *turnCtx) ([]Event, error)) ([]Event, error) {
	return e.turn(ctx, id, false, fn)
}
