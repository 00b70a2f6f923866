package server_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestDebugWalk(t *testing.T) {
	_, base := startApp(t)
	c := dial(t, base, "/ws/chat", nil)
	c.send(map[string]string{"type": "resume"})
	c.until(func(m map[string]any) bool { return m["type"] == "message" })
	for i, text := range strings.Split(os.Getenv("WALK"), "|") {
		id := fmt.Sprint("t", i)
		fmt.Println(">>", text)
		c.send(map[string]string{"type": "message", "text": text, "id": id})
		for _, m := range c.until(ack(id)) {
			switch m["type"] {
			case "message":
				fmt.Println("  ", m["from"], m["text"], m["expect"], m["choices"])
			case "typing", "ack":
			default:
				fmt.Println("  ", m)
			}
		}
	}
}
