package dialogs

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWithRealParser drives whole conversations through the real nlu.Parser, so the
// dialogs are checked against what the classifier and extractors actually return, not
// only against hand-made parses. Assertions stay at the level of outcomes (tickets,
// handoffs, disclosure) because the classifier keeps improving.
func TestWithRealParser(t *testing.T) {
	p := realParser(t)
	tests := []struct {
		name    string
		lines   []string
		tickets []string
		handoff string
		has     []string
		not     []string
	}{
		{name: "self-check to a repair order", lines: []string{"我家停电了", "只有我家没电", "开关没有跳", "没有保险丝", "不是预付费的",
			"和平路12号", "我姓陈", "13912345678", "是的", "没有了谢谢", "非常满意"},
			tickets: []string{KindRepair}},
		{name: "hazard first", lines: []string{"小区门口电线掉下来了还在冒烟", "幸福小区南门", "13912345678"},
			tickets: []string{KindEmergency}, handoff: PriorityEmergency, has: []string{"8米"}},
		{name: "human at once, callback", lines: []string{"我要人工客服", "13912345678"},
			tickets: []string{KindCallback}, handoff: PriorityNormal},
		{name: "bill only after verification", lines: []string{"帮我查一下电费", "3100123456", "王五", "张三"},
			has: []string{"112.30"}},
		{name: "bill refused after three failures", lines: []string{"帮我查一下电费", "3100123456", "1111", "王五", "2222"},
			handoff: PriorityNormal, not: []string{"112.30", "56.70"}},
		{name: "complaint with thanks", lines: []string{"我要投诉你们的工作人员", "上个月来修表的师傅态度很恶劣还乱收费", "我姓陈", "13912345678", "对"},
			tickets: []string{KindComplaint}, has: []string{"感谢"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, newWorld())
			for _, line := range tc.lines {
				s.say(p.Parse(line))
			}
			s.requireOutcome(tc.tickets, tc.handoff)
			transcript := s.transcript()
			for _, h := range tc.has {
				require.Contains(t, transcript, h)
			}
			for _, n := range tc.not {
				require.NotContains(t, transcript, n)
			}
		})
	}
}
