package dialogs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dianbao/nlu"
)

// TestRealCustomers drives the conversations real callers have (several slots at once, the
// address in pieces, 不知道 and 你说啥, insults, a change of mind, praise in passing) through
// the real parser, and checks what a good 95598 agent would do at each turn.
func TestRealCustomers(t *testing.T) {
	p := realParser(t)
	type line struct {
		say    string
		expect string   // expect slot after the turn; anyExpect to skip
		has    []string // in the turn's messages
		not    []string
	}
	tests := []struct {
		name    string
		lines   []line
		tickets []string
		fields  map[string]string // fields of the last ticket
		handoff string
	}{
		{name: "bare 我家 still asks the range", lines: []line{
			{say: "我家停电了", expect: ExpectScope},
		}},
		{name: "a range answer to the breaker question is recorded, the question put again", lines: []line{
			{say: "我家没电了", expect: ExpectScope},
			{say: "就我们一家", expect: ExpectBreaker},
			{say: "邻居家都有电的", expect: ExpectBreaker, not: []string{"往上推"}},
			{say: "没跳", expect: ExpectFuse},
		}},
		{name: "neighbour wording reads as the range", lines: []line{
			{say: "屋里突然没电了", expect: ExpectScope},
			{say: "隔壁王婶家灯是亮的", expect: ExpectBreaker},
		}},
		{name: "a wider range said during the self-check goes to the outage lookup", lines: []line{
			{say: "家里没电了", expect: ExpectScope},
			{say: "只有我家", expect: ExpectBreaker},
			{say: "我刚出去看了，楼上楼下也都黑了", expect: ExpectAddress},
		}},
		{name: "reset and back in one sentence", lines: []line{
			{say: "我家没电了", expect: ExpectScope},
			{say: "就我家，楼道灯亮着", expect: ExpectBreaker},
			{say: "空开跳了，我推上去灯就亮了", expect: ExpectMenu, has: []string{"恢复供电"}},
		}},
		{name: "no-trip correction at the restore question", lines: []line{
			{say: "我家没电了", expect: ExpectScope},
			{say: "只有我家", expect: ExpectBreaker},
			{say: "是的", expect: ExpectRestored},
			{say: "哦我看错了，开关没跳", expect: ExpectFuse},
		}},
		{name: "你说啥 gets simpler words, not a no", lines: []line{
			{say: "我家灯全灭了", expect: ExpectScope},
			{say: "只有我家", expect: ExpectBreaker},
			{say: "没听懂", expect: ExpectBreaker, has: []string{"朝下"}},
		}},
		{name: "address in pieces, name with a landline", lines: []line{
			{say: "停电了", expect: ExpectScope},
			{say: "整栋楼都停了", expect: ExpectAddress},
			{say: "幸福路", expect: ExpectAddress, has: []string{"门牌号"}},
			{say: "18号", expect: ExpectName},
			{say: "3单元", expect: ExpectName},
			{say: "王建国，0571-8765 4321", expect: ExpectConfirm, has: []string{"幸福路18号3单元", "王建国", "057187654321"}},
			{say: "对", expect: ExpectMenu},
		}, tickets: []string{KindRepair}, fields: map[string]string{"address": "幸福路18号3单元", "name": "王建国", "phone": "057187654321"}},
		{name: "an insult mid-triage: apology, same question, no complaint case", lines: []line{
			{say: "我家没电了", expect: ExpectScope},
			{say: "只有我家", expect: ExpectBreaker},
			{say: "你们这什么破服务，傻X，停个电还要问这么多", expect: ExpectBreaker, has: []string{"抱歉", "空气开关"}, not: []string{"傻"}},
		}},
		{name: "insults past the limit go to a supervisor", lines: []line{
			{say: "我家没电了", expect: ExpectScope},
			{say: "问什么问，废物", expect: ExpectScope},
			{say: "你们真是一群饭桶", expect: ExpectScope},
			{say: "白痴一样，还问", expect: ExpectPhone, has: []string{"值班主管"}},
		}, handoff: PriorityHigh},
		{name: "算了我先问电费 leaves the triage for the bill", lines: []line{
			{say: "家里停电了", expect: ExpectScope},
			{say: "就我一家", expect: ExpectBreaker},
			{say: "算了我先问电费", expect: ExpectAccount},
		}},
		{name: "换个话题 goes back to the open question", lines: []line{
			{say: "我要报修", expect: ExpectScope},
			{say: "换个话题吧", expect: ExpectMenu, has: []string{"请问您想咨询什么"}},
		}},
		{name: "praise in passing is recorded and the address asked again", lines: []line{
			{say: "停电了，整栋楼都没电", expect: ExpectAddress},
			{say: "上次你们来修线的师傅特别负责，我得表扬一下", expect: ExpectAddress, has: []string{"表扬"}},
			{say: "建设路12号院3栋", expect: ExpectName},
		}, tickets: []string{KindPraise}},
		{name: "a monthly bill answers the prepaid question with no", lines: []line{
			{say: "我家没电了", expect: ExpectScope},
			{say: "只有我家", expect: ExpectBreaker},
			{say: "没跳", expect: ExpectFuse},
			{say: "没有保险丝", expect: ExpectPrepaid},
			{say: "我们是每个月去村委会交钱的", expect: ExpectAddress, has: []string{"电表前"}},
		}},
		{name: "a hazard mid bill query: no account data, the hazard place asked", lines: []line{
			{say: "帮我查一下电费", expect: ExpectAccount},
			{say: "3100123456", expect: ExpectVerify},
			{say: "电线杆倒了压在路上", expect: ExpectAddress, has: []string{"8米"}},
		}},
		{name: "village caller: the place is not the name, the 组 asked once", lines: []line{
			{say: "你好,我是石桥镇李家村的,家里一下子没电了", expect: ExpectScope},
			{say: "就我们一家,隔壁灯还亮着", expect: ExpectBreaker},
			{say: "没跳", expect: ExpectFuse},
			{say: "没有保险丝", expect: ExpectPrepaid},
			{say: "不是插卡的", expect: ExpectAddress, has: []string{"几组几号"}},
			{say: "三组15号", expect: ExpectName},
			{say: "我叫李桂兰", expect: ExpectPhone},
			{say: "15870012345", expect: ExpectConfirm, has: []string{"李家村3组15号", "联系人：李桂兰"}, not: []string{"石桥镇先生"}},
			{say: "对的", expect: ExpectMenu, has: []string{"90分钟"}},
		}, tickets: []string{KindRepair}, fields: map[string]string{"name": "李桂兰", "area_class": AreaRural}},
		{name: "leakage protector trips at once: no advice twice, own electrician understood", lines: []line{
			{say: "家里漏电保护器跳了,我推上去它马上又掉下来", expect: ExpectRestored, has: []string{"插头全部拔下"}, not: []string{"大功率电器关掉"}},
			{say: "电器插头全拔了,推上去还是跳", expect: ExpectConfirm, has: []string{"有偿服务"}, not: []string{"插头全部拔下"}},
			{say: "那我自己找个电工来看看吧", expect: ExpectMenu, has: []string{"请您联系有资质的电工"}},
		}},
		{name: "switch stays up, still dark: fuse next, no unplugging", lines: []line{
			{say: "家里跳闸了", expect: ExpectRestored},
			{say: "推上去还是没电", expect: ExpectFuse, not: []string{"插头"}},
		}},
		{name: "a fault report resumed after a bill question", lines: []line{
			{say: "家里没电了", expect: ExpectScope},
			{say: "只有我家", expect: ExpectBreaker},
			{say: "先不说这个，帮我查下电费", expect: ExpectAccount},
			{say: "3100123456", expect: ExpectVerify},
			{say: "张三", expect: ExpectMenu, has: []string{"112.30", "还没有办完"}},
			{say: "刚才停电的事还没说完", expect: ExpectBreaker, has: []string{"接着办理"}, not: []string{"只有您家没电"}},
		}},
		{name: "a good word inside a complaint stays in it", lines: []line{
			{say: "我要投诉", expect: ExpectDetail},
			{say: "你们客服态度挺好的", expect: ExpectDetail, has: []string{"一并"}},
			{say: "就是上门抄表的师傅在门口骂骂咧咧的", expect: ExpectName},
		}},
		{name: "nothing to find the customer by: a human, not an empty work order", lines: []line{
			{say: "家里没电了", expect: ExpectScope},
			{say: "整个小区都停了", expect: ExpectAddress},
			{say: "不知道", expect: ExpectAddress},
			{say: "不知道", expect: anyExpect},
			{say: "不知道", expect: anyExpect},
			{say: "不知道", expect: anyExpect},
			{say: "不知道", expect: anyExpect},
			{say: "不知道", expect: anyExpect},
		}, handoff: PriorityNormal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, newWorld())
			for i, l := range tc.lines {
				s.say(p.Parse(l.say))
				s.check(i, l.say, l.expect, l.has, l.not)
			}
			s.requireOutcome(tc.tickets, tc.handoff)
			transcript := s.transcript()
			for k, v := range tc.fields {
				require.Equal(t, v, s.tix[len(s.tix)-1].Fields[k], transcript)
			}
			require.NotContains(t, transcript, "核对一下信息：。", "an empty summary is never read back")
		})
	}
}

func TestScopeWording(t *testing.T) {
	for text, want := range map[string]string{
		"隔壁王婶家灯是亮的":   nlu.ScopeSelf,
		"对门邻居家灯亮着呢":   nlu.ScopeSelf,
		"邻居家没有电":      nlu.ScopeArea,
		"楼上楼下也黑了":     nlu.ScopeBuilding,
		"整个小区都停了":     nlu.ScopeArea,
		"就我家":         nlu.ScopeSelf,
		"我家没电了":       "",
		"幸福路18号3单元停电": "",
	} {
		require.Equal(t, want, scopeOf(text, false), text)
	}
}

func TestAddressPieces(t *testing.T) {
	tests := []struct {
		old, add, want string
		fragment       bool
	}{
		{"幸福路", "18号", "幸福路18号", true},
		{"幸福路18号", "3单元", "幸福路18号3单元", true},
		{"幸福路", "幸福路18号", "幸福路18号", false},
		{"幸福路18号", "18号", "幸福路18号", true},
		{"", "建设路5号", "建设路5号", false},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, mergeAddress(tc.old, tc.add), tc.add)
		require.Equal(t, tc.fragment, addressFragment(tc.add), tc.add)
	}
	require.True(t, vagueAddress("幸福路"))
	require.False(t, vagueAddress("幸福路18号"))
	require.True(t, vagueAddress("李家村"), "a village needs the 组 or the number")
	require.True(t, vagueAddress("石桥镇李家村"))
	require.False(t, vagueAddress("李家村三组"))
	require.False(t, vagueAddress("青年路菜市场门口"))
	require.False(t, plausibleAddress("电线杆倒了压在路"))
	require.False(t, namesPlace("礼拜"))
	require.True(t, namesPlace("解放路88号"))
}

func TestNamePiece(t *testing.T) {
	for text, want := range map[string]string{
		"王建国，13912345678":   "王建国",
		"姓周，村里人都叫我周婆婆":      "姓周",
		"13912345678 李明":    "李明",
		"幸福路18号":            "",
		"我姓王，电话是0571876543": "我姓王",
	} {
		require.Equal(t, want, strings.TrimSpace(firstNamePiece(text)), text)
	}
}
