package queue

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"dianbao/bot/store/redistest"
)

// BenchmarkEnqueueClaim measures one customer joining a queue of 200 and being claimed,
// with every waiting customer's position recomputed and announced on each change.
func BenchmarkEnqueueClaim(b *testing.B) {
	q, err := NewMemoryQueue(Config{OnChange: func([]Entry) {}}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchEnqueueClaim(b, q)
}

// BenchmarkRedisEnqueueClaim is BenchmarkEnqueueClaim on the fleet's shared queue (a real
// redis-server on loopback): the atomic scripts plus the re-read and announcement.
func BenchmarkRedisEnqueueClaim(b *testing.B) {
	r := redistest.Start(b)
	q, err := NewRedisQueue(RedisConfig{Config: Config{OnChange: func([]Entry) {}}}, redis.NewClient(&redis.Options{Addr: r.Addr()}), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	benchEnqueueClaim(b, q)
}

// claimQueue is what the benchmarks drive, on either queue.
type claimQueue interface {
	SetAgents(int)
	Enqueue(Entry) (Entry, error)
	Claim(session, agent string) (Entry, error)
}

// benchEnqueueClaim fills q with 200 waiting customers, then times one high-priority
// customer joining and being claimed.
func benchEnqueueClaim(b *testing.B, q claimQueue) {
	q.SetAgents(5)
	for i := range 200 {
		if _, err := q.Enqueue(Entry{Session: fmt.Sprint("w", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s := fmt.Sprint("b", i)
		if _, err := q.Enqueue(Entry{Session: s, Priority: PriorityHigh}); err != nil {
			b.Fatal(err)
		}
		if _, err := q.Claim(s, "agent"); err != nil {
			b.Fatal(err)
		}
	}
}
