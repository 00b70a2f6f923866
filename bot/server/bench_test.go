package server_test

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkChatTurn measures a widget message's round trip over /ws/chat through the real
// engine, dialogs and NLU (memory store): send, bot replies, acknowledgement. Every ten
// turns a new customer connects, so transcripts stay conversation-sized.
func BenchmarkChatTurn(b *testing.B) {
	_, base := startApp(b)
	texts := []string{"我家停电了", "跳闸了", "还是没电", "星河湾小区8栋", "张先生", "13812345678", "是的", "没有了，谢谢", "非常满意", "你好"}
	var (
		lat []time.Duration
		c   *wsClient
	)
	for i := 0; b.Loop(); i++ {
		if i%len(texts) == 0 {
			b.StopTimer()
			if c != nil {
				c.ws.Close()
			}
			c = dial(b, base, "/ws/chat", nil)
			c.send(map[string]string{"type": "resume"})
			c.until(typ("message"))
			b.StartTimer()
		}
		id := fmt.Sprint("b", i)
		start := time.Now()
		c.send(map[string]string{"type": "message", "text": texts[i%len(texts)], "id": id})
		c.until(ack(id))
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
	}
}
