package server_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"dianbao/bot"
	"dianbao/bot/store/redistest"
)

// queueHas waits for a console's queue view to list session.
func queueHas(session string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		if m["type"] != "queue" {
			return false
		}
		es, _ := m["entries"].([]any)
		return slices.ContainsFunc(es, func(e any) bool {
			em, _ := e.(map[string]any)
			return em["session"] == session
		})
	}
}

func escalate(t *testing.T, c *wsClient, id string) (session string, position float64) {
	t.Helper()
	c.send(map[string]string{"type": "message", "text": "转人工", "id": id})
	evs := c.until(func(m map[string]any) bool { return m["type"] == "handoff" && m["status"] == "queued" })
	last := evs[len(evs)-1]
	return last["session"].(string), last["position"].(float64)
}

// Two instances on one Redis behave as one service: a customer served by A is queued,
// seen, accepted and answered by an agent connected to B, and two agents on different
// instances racing for one customer cannot both get them.
func TestFleetHandoffAcrossInstances(t *testing.T) {
	r := redistest.Start(t)
	_, baseA := startAppOn(t, r.URL(), "wang")
	_, baseB := startAppOn(t, r.URL(), "wang")

	agentB := dial(t, baseB, "/ws/agent", login(t, baseB))
	agentB.until(typ("agents"))
	customer := dial(t, baseA, "/ws/chat", nil)
	session, pos := escalate(t, customer, "f1")
	require.Equal(t, float64(1), pos)

	agentB.until(queueHas(session))
	agentB.send(map[string]string{"type": "accept", "session": session})
	view := agentB.until(func(m map[string]any) bool {
		return m["type"] == "session" && m["session"] == session || m["type"] == "error"
	})
	require.Equal(t, "session", view[len(view)-1]["type"], "accepted on B: %v", view[len(view)-1])
	customer.until(func(m map[string]any) bool { return m["type"] == "handoff" && m["status"] == "assigned" })

	agentB.send(map[string]string{"type": "reply", "session": session, "text": "您好，我是人工客服，请问有什么可以帮您？"})
	customer.until(func(m map[string]any) bool {
		return m["type"] == "message" && m["from"] == "agent" && m["text"] == "您好，我是人工客服，请问有什么可以帮您？"
	})
	// The customer's answer on A reaches the agent on B.
	customer.send(map[string]string{"type": "message", "text": "我家停电了", "id": "f2"})
	agentB.until(func(m map[string]any) bool {
		ev, _ := m["event"].(map[string]any)
		return m["type"] == "event" && m["session"] == session && ev["from"] == "customer" && ev["text"] == "我家停电了"
	})

	// A second customer; agents on A and B race for them and exactly one wins.
	agentA := dial(t, baseA, "/ws/agent", login(t, baseA, "wang"))
	agentA.until(typ("agents"))
	second := dial(t, baseA, "/ws/chat", nil)
	s2, pos2 := escalate(t, second, "g1")
	require.Equal(t, float64(1), pos2, "the first customer was taken, so the second is first in line")
	for _, a := range []*wsClient{agentA, agentB} {
		a.until(queueHas(s2))
	}
	agentA.send(map[string]string{"type": "accept", "session": s2})
	agentB.send(map[string]string{"type": "accept", "session": s2})
	outcome := func(a *wsClient) string {
		got := a.until(func(m map[string]any) bool {
			return (m["type"] == "session" && m["session"] == s2) || (m["type"] == "error" && m["request"] == "accept")
		})
		last := got[len(got)-1]
		if last["type"] == "session" {
			return "won"
		}
		return last["code"].(string)
	}
	require.ElementsMatch(t, []string{"won", "taken"}, []string{outcome(agentA), outcome(agentB)})
	assigned := 0
	for _, m := range second.until(func(m map[string]any) bool { return m["type"] == "handoff" && m["status"] == "assigned" }) {
		if m["type"] == "handoff" && m["status"] == "assigned" {
			assigned++
		}
	}
	require.Equal(t, 1, assigned)
}

// Queue positions are the fleet's: customers queued on different instances are numbered
// in one sequence, and the handoff event of the turn agrees with the queue's list.
func TestFleetQueuePositionsAgree(t *testing.T) {
	r := redistest.Start(t)
	appA, baseA := startAppOn(t, r.URL())
	_, baseB := startAppOn(t, r.URL())
	agentB := dial(t, baseB, "/ws/agent", login(t, baseB))
	agentB.until(typ("agents"))

	var sessions []string
	for i, base := range []string{baseA, baseB, baseA} {
		c := dial(t, base, "/ws/chat", nil)
		s, pos := escalate(t, c, "p")
		require.Equal(t, float64(i+1), pos, "customer %d", i)
		sessions = append(sessions, s)
	}
	list := appA.Queue.List()
	require.Len(t, list, 3)
	for i, e := range list {
		require.Equal(t, sessions[i], e.Session)
		require.Equal(t, i+1, e.Position)
	}
}

// A Redis restart in the middle of a chat costs the customer one polite error; the next
// turn works once Redis is back and the conversation carries on where it was.
func TestFleetRedisRestartDuringChat(t *testing.T) {
	r := redistest.StartPersistent(t)
	app, base := startAppOn(t, r.URL())
	c := dial(t, base, "/ws/chat", nil)
	c.send(map[string]string{"type": "message", "text": "我家停电了", "id": "r1"})
	evs := c.until(ack("r1"))
	var session, expect string
	for _, m := range evs {
		if m["type"] == "message" && m["from"] == "bot" {
			session, expect = m["session"].(string), m["expect"].(string)
		}
	}
	require.NotEmpty(t, session)
	require.NotEmpty(t, expect)
	answer := repairAnswers[expect]
	require.NotEmpty(t, answer, "no answer for %q", expect)

	r.Stop()
	c.send(map[string]string{"type": "message", "text": answer, "id": "r2"})
	got := c.until(func(m map[string]any) bool { return m["type"] == "error" || m["type"] == "ack" })
	last := got[len(got)-1]
	require.Equal(t, "error", last["type"])
	require.Equal(t, "r2", last["id"])
	require.Contains(t, last["text"], "非常抱歉")
	require.Contains(t, last["text"], "95598")

	r.Start()
	c.send(map[string]string{"type": "message", "text": answer, "id": "r2"}) // the same message again
	answered := false
	for _, m := range c.until(ack("r2")) {
		require.NotEqual(t, "error", m["type"], "%v", m)
		if m["type"] == "message" && m["from"] == "bot" {
			answered = true
			require.NotEqual(t, expect, m["expect"], "the dialog moved on from %q", expect)
			require.NotContains(t, m["text"], "有什么可以帮您", "the conversation did not start over")
		}
	}
	require.True(t, answered)
	hist, err := app.Engine.History(context.Background(), session)
	require.NoError(t, err)
	var said []string
	for _, ev := range hist {
		if ev.Type == bot.EventMessage && ev.From == bot.FromCustomer {
			said = append(said, ev.Text)
		}
	}
	require.Equal(t, []string{"我家停电了", answer}, said, "nothing lost, nothing doubled")
}
