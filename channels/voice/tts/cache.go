package tts

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CacheConfig sizes the cache.
type CacheConfig struct {
	Entries int // maximum cached utterances, default 256
}

// Cache is an LRU decorator over a Synthesizer keyed by voice and text. Concurrent misses on
// the same key run the engine once (waiters share the first caller's result, its error
// included). Returned PCM is shared between callers: read-only.
type Cache struct {
	next Synthesizer
	max  int

	mu       sync.Mutex
	ll       *list.List // front = most recent
	items    map[cacheKey]*list.Element
	inflight map[cacheKey]*call

	hits, misses prometheus.Counter
	latency      prometheus.Histogram
}

var _ Synthesizer = (*Cache)(nil)

type cacheKey struct{ voice, text string }

type cacheEntry struct {
	key  cacheKey
	pcm  []int16
	rate int
}

type call struct {
	done chan struct{}
	pcm  []int16
	rate int
	err  error
}

// NewCache wraps next. reg may be nil; otherwise dianbao_tts_cache_{hits,misses}_total and
// dianbao_tts_synthesis_seconds are registered on it (MustRegister: a clash is a wiring bug).
func NewCache(next Synthesizer, cfg CacheConfig, reg prometheus.Registerer) *Cache {
	if cfg.Entries <= 0 {
		cfg.Entries = 256
	}
	c := &Cache{
		next: next, max: cfg.Entries, ll: list.New(),
		items: map[cacheKey]*list.Element{}, inflight: map[cacheKey]*call{},
		hits: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "dianbao", Subsystem: "tts",
			Name: "cache_hits_total", Help: "TTS requests served from the prompt cache."}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "dianbao", Subsystem: "tts",
			Name: "cache_misses_total", Help: "TTS requests that ran the engine."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "dianbao", Subsystem: "tts",
			Name: "synthesis_seconds", Help: "Engine time of TTS requests that missed the cache.",
			Buckets: []float64{.01, .025, .05, .1, .2, .3, .5, 1, 2, 5}}),
	}
	if reg != nil {
		reg.MustRegister(c.hits, c.misses, c.latency)
	}
	return c
}

// Synthesize returns the cached audio or synthesises, caches and returns it. Errors are not
// cached, so a transient engine failure is retried on the next request.
func (c *Cache) Synthesize(ctx context.Context, text, voice string) ([]int16, int, error) {
	k := cacheKey{voice, text}
	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.ll.MoveToFront(el)
		e := el.Value.(*cacheEntry)
		c.mu.Unlock()
		c.hits.Inc()
		return e.pcm, e.rate, nil
	}
	if cl, ok := c.inflight[k]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			if cl.err == nil {
				c.hits.Inc()
			}
			return cl.pcm, cl.rate, cl.err
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[k] = cl
	c.mu.Unlock()
	c.misses.Inc()

	began := time.Now()
	cl.pcm, cl.rate, cl.err = c.next.Synthesize(ctx, text, voice)
	c.latency.Observe(time.Since(began).Seconds())

	c.mu.Lock()
	delete(c.inflight, k)
	if cl.err == nil {
		c.items[k] = c.ll.PushFront(&cacheEntry{key: k, pcm: cl.pcm, rate: cl.rate})
		for c.ll.Len() > c.max {
			old := c.ll.Back()
			c.ll.Remove(old)
			delete(c.items, old.Value.(*cacheEntry).key)
		}
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.pcm, cl.rate, cl.err
}

// Prewarm synthesises fixed prompts ahead of the first call, so no caller waits for them.
func (c *Cache) Prewarm(ctx context.Context, voice string, texts ...string) error {
	for _, t := range texts {
		if _, _, err := c.Synthesize(ctx, t, voice); err != nil {
			return err
		}
	}
	return nil
}

// Len reports the number of cached utterances.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
