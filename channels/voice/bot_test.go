package voice_test

import (
	"context"
	"sync"

	"dianbao/bot"
	"dianbao/channels/voice"
)

// scriptBot is a small stand-in for the runtime (dialogs are written in parallel): it
// greets with yes/no choices, asks for a phone number keyed with '#', and records every
// input it gets.
type scriptBot struct {
	mu       sync.Mutex
	inputs   []voice.Input
	inputCh  chan voice.Input
	greeting string
}

func newScriptBot() *scriptBot {
	return &scriptBot{inputCh: make(chan voice.Input, 64),
		greeting: "您好，这里是95598供电服务热线。请问您家里是停电了吗？"}
}

var yesNo = []bot.Choice{{Label: "是", Value: "是"}, {Label: "不是", Value: "不是"}}

func (b *scriptBot) Open(ctx context.Context, sessionID string) ([]bot.Event, error) {
	return []bot.Event{bot.Message(bot.FromBot, b.greeting, "confirm", yesNo)}, nil
}

func (b *scriptBot) Handle(ctx context.Context, sessionID string, in voice.Input) ([]bot.Event, error) {
	b.mu.Lock()
	b.inputs = append(b.inputs, in)
	b.mu.Unlock()
	b.inputCh <- in
	switch {
	case in.Choice == "是":
		return []bot.Event{bot.Message(bot.FromBot, "好的。请输入您的手机号码，以井号键结束。", "phone", nil)}, nil
	case in.Choice == "不是":
		return []bot.Event{bot.Message(bot.FromBot, "好的，请问还有什么可以帮您？", "menu", nil)}, nil
	case in.Text == "长提示":
		return []bot.Event{bot.Message(bot.FromBot, "请您先检查家中的空气开关和漏电保护器是否跳闸。如果跳闸了，请先关掉大功率电器，再把开关推上去。如果推上去马上又跳，可能是家里线路短路或漏电，请逐个拔下电器再试。", "breaker", yesNo)}, nil
	default:
		return []bot.Event{bot.Message(bot.FromBot, "收到，您说的是："+in.Text+"。", "confirm", yesNo)}, nil
	}
}
