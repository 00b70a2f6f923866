package dialogs

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dianbao/nlu"
)

// TestVillageCaller: 我是石桥镇李家村的 gives the address, not the name, and a village
// without 组 or number is asked once for it before a crew is sent.
func TestVillageCaller(t *testing.T) {
	village := utt("你好,我是石桥镇李家村的,家里一下子没电了", nlu.IntentPowerOutage,
		ent(nlu.EntityAddress, "石桥镇李家村"), ent(nlu.EntityName, "石桥镇"), ent(nlu.EntityScope, nlu.ScopeSelf))
	tests := []struct {
		name    string
		turns   []exch
		address string
		who     string
	}{
		{"the house number is asked once and taken as given", []exch{
			{in: village, expect: ExpectScope},
			{in: scope("就我们一家,隔壁灯亮着", nlu.ScopeSelf), expect: ExpectBreaker},
			{in: no("没跳"), expect: ExpectFuse},
			{in: no("没有保险丝"), expect: ExpectPrepaid},
			{in: no("不是插卡的"), expect: ExpectAddress, has: []string{"石桥镇李家村", "几组几号"}},
			{in: utt("三组15号", "", ent(nlu.EntityAddress, "3组15号")), expect: ExpectName, not: []string{"石桥镇"}},
			{in: name("我叫李桂兰", "李桂兰"), expect: ExpectPhone},
			{in: phone("15870012345"), expect: ExpectConfirm, has: []string{"石桥镇李家村3组15号", "联系人：李桂兰"}},
			{in: yes("对的"), expect: ExpectMenu, has: []string{"90分钟"}, acts: []string{"ticket:repair", "resolved:ticket"}},
		}, "石桥镇李家村3组15号", "李桂兰"},
		{"a caller without a number is not asked twice", []exch{
			{in: village, expect: ExpectScope},
			{in: scope("就我家", nlu.ScopeSelf), expect: ExpectBreaker},
			{in: no("没跳"), expect: ExpectFuse},
			{in: no("没有"), expect: ExpectPrepaid},
			{in: no("不是"), expect: ExpectAddress, has: []string{"门牌号"}},
			{in: no("村里没有门牌号"), expect: ExpectName},
			{in: name("姓李", "李"), expect: ExpectPhone},
			{in: phone("15870012345"), expect: ExpectConfirm, has: []string{"地址：石桥镇李家村，", "李先生/女士"}},
		}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := runScenario(t, newWorld(), tc.turns)
			require.NotEqual(t, "石桥镇", s.st.Slot(SlotName), s.transcript())
			if tc.address != "" {
				last := s.tix[len(s.tix)-1]
				require.Equal(t, tc.address, last.Fields["address"])
				require.Equal(t, tc.who, last.Fields["name"])
				require.Equal(t, AreaRural, last.Fields["area_class"])
			}
		})
	}
}

// TestOutageLookupDoesNotWaitForTheDoor: a wide outage is looked up on the estate name; the
// number is asked only when a repair order is written.
func TestOutageLookupDoesNotWaitForTheDoor(t *testing.T) {
	runScenario(t, newWorld(), []exch{
		{in: outage("我们小区整个都停电了"), expect: ExpectAddress},
		{in: addr("翠湖小区"), expect: ExpectMenu, has: []string{"线路检修"}, acts: []string{"outage", "ticket:consult", "resolved:info"}},
	})
	runScenario(t, newWorld(), []exch{
		{in: outage("我们小区整个都停电了"), expect: ExpectAddress},
		{in: addr("桂花园"), expect: ExpectAddress, has: []string{"没有查到", "门牌号"}},
		{in: addr("5栋2单元"), expect: ExpectName},
	})
}

// TestEachTicketAnnouncedByItsOwnMessage: the runtime fills {ticket_id} and {due} from the
// latest ticket of the step, so a message must follow its own ticket directly.
func TestEachTicketAnnouncedByItsOwnMessage(t *testing.T) {
	tests := []struct {
		name  string
		turns []nlu.Result
		want  map[string]string // ticket kind → a phrase of the message that names it
	}{
		{"angry complaint: callback and complaint", []nlu.Result{
			utt("你们乱收电费，我要投诉到12345！上个月电费多收了两百块钱", nlu.IntentComplaint, agit(0.95)),
			phone("13712345678"),
		}, map[string]string{KindCallback: "已为您登记回电", KindComplaint: "登记为投诉"}},
		{"angry complaint with the phone at once", []nlu.Result{
			utt("气死我了，抄表员骂人，我要投诉，我电话13712345678", nlu.IntentComplaint, agit(0.95), ent(nlu.EntityPhone, "13712345678")),
		}, map[string]string{KindCallback: "已为您登记回电", KindComplaint: "登记为投诉"}},
		{"praise in passing, then the paid electrician", []nlu.Result{
			outage("电闸掉了推不上去", ent(nlu.EntityScope, nlu.ScopeSelf), ent(nlu.EntityAddress, "解放路88号"), ent(nlu.EntityName, "刘")),
			no("还是合不上"),
			yes("需要"),
			utt("你们上次来的师傅特别负责，电话13712345678", nlu.IntentPraise, ent(nlu.EntityPhone, "13712345678")),
		}, map[string]string{KindConsult: "已为您登记有偿电工服务"}},
	}
	idRe := regexp.MustCompile(`T\d{4}`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSession(t, newWorld())
			for _, p := range tc.turns {
				s.say(p)
			}
			ids := map[string]string{} // kind → id, from the transcript's ticket lines
			for _, l := range s.lines {
				if strings.HasPrefix(l, "<ticket ") {
					f := strings.Fields(l)
					ids[strings.TrimSuffix(f[2], ">")] = f[1]
				}
			}
			for kind, phrase := range tc.want {
				found := false
				for _, l := range s.lines {
					if strings.Contains(l, phrase) {
						found = true
						require.Equal(t, []string{ids[kind]}, idRe.FindAllString(l, -1), "%s names the wrong ticket\n%s", phrase, s.transcript())
					}
				}
				require.True(t, found, "no message %q\n%s", phrase, s.transcript())
			}
		})
	}
}

// TestSwitchResetOutcomes: what the customer says about pushing the switch back up decides
// the next step; advice already followed is never given again.
func TestSwitchResetOutcomes(t *testing.T) {
	tripsAtOnce := outage("家里漏电保护器跳了,我推上去它马上又掉下来", pol(nlu.PolarityYes), ent(nlu.EntityScope, nlu.ScopeSelf))
	tests := []scenario{
		{"trips at once: straight to unplugging, then the electrician, declined for their own", false, []exch{
			{in: tripsAtOnce, expect: ExpectRestored, has: []string{"插头全部拔下"}, not: []string{"大功率电器关掉"}},
			{in: outage("电器插头全拔了,推上去还是跳"), expect: ExpectConfirm, has: []string{"有偿服务"}, not: []string{"插头全部拔下"}},
			{in: utt("那我自己找个电工来看看吧", "", conf(0.76)), expect: ExpectMenu, has: []string{"请您联系有资质的电工"}, acts: []string{"resolved:info"}},
		}},
		{"unplugged already at the reset question: no second unplug advice", false, []exch{
			{in: outage("家里跳闸了", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectRestored, has: []string{"大功率电器"}},
			{in: outage("插头都拔了,推上去还是啪一下就跳"), expect: ExpectConfirm, not: []string{"插头全部拔下"}},
		}},
		{"unplugged already at the breaker question", false, []exch{
			{in: outage("就我家没电了", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: outage("对,漏保跳了,插头都拔光了,一合上还是跳", pol(nlu.PolarityYes)), expect: ExpectConfirm, has: []string{"有偿服务"}},
		}},
		{"stays up but still dark: not a trip, on to the fuse", false, []exch{
			{in: outage("家里跳闸了", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectRestored},
			{in: outage("推上去还是没电", pol(nlu.PolarityNo)), expect: ExpectFuse, has: []string{"不再掉下来"}, not: []string{"插头"}},
			{in: no("没有保险丝"), expect: ExpectPrepaid},
			{in: no("不是插卡表"), expect: ExpectAddress, has: []string{"电表前"}},
		}},
		{"the 还是没电 quick reply means the switch held", false, []exch{
			{in: outage("家里跳闸了", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectRestored},
			{in: no("还是没电"), expect: ExpectFuse},
		}},
		{"said in the first sentence: stays up and dark", false, []exch{
			{in: outage("跳闸了，我推上去了还是没电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectFuse, has: []string{"不再掉下来"}, not: []string{"大功率"}},
		}},
		{"asking for the electrician after all", false, []exch{
			{in: tripsAtOnce, expect: ExpectRestored},
			{in: no("还是合不上"), expect: ExpectConfirm},
			{in: yes("要的，帮我找个电工"), expect: ExpectAddress},
		}},
		{"a weak human reading of a yes to the electrician offer is the yes", false, []exch{
			{in: tripsAtOnce, expect: ExpectRestored},
			{in: no("还是合不上"), expect: ExpectConfirm},
			{in: utt("要的，帮我找个电工", nlu.IntentHumanAgent, conf(0.457), pol(nlu.PolarityYes)), expect: ExpectAddress},
		}},
		{"a clear request for a human at a yes/no question still goes to a human", false, []exch{
			{in: tripsAtOnce, expect: ExpectRestored},
			{in: utt("不用了，帮我转人工", nlu.IntentHumanAgent, conf(0.6), pol(nlu.PolarityNo)), expect: ExpectPhone, acts: []string{"handoff:normal"}},
		}},
	}
	runScenarios(t, tests)
}

func TestRepairDetailTellsTheSwitchHeld(t *testing.T) {
	s := runScenario(t, newWorld(), []exch{
		{in: outage("家里跳闸了", ent(nlu.EntityScope, nlu.ScopeSelf), ent(nlu.EntityAddress, "解放路88号"), ent(nlu.EntityName, "刘"), ent(nlu.EntityPhone, "13712345678")), expect: ExpectRestored},
		{in: no("推上去还是没电"), expect: ExpectFuse},
		{in: no("没有"), expect: ExpectPrepaid},
		{in: no("不是"), expect: ExpectConfirm},
		{in: yes("对"), expect: ExpectMenu, acts: []string{"ticket:repair", "resolved:ticket"}},
	})
	require.Contains(t, s.tix[0].Fields["detail"], "合闸后不再跳但仍无电：是")
}

// TestResumeSuspendedCase: a case left for another topic goes on where it stopped.
func TestResumeSuspendedCase(t *testing.T) {
	toBill := utt("先不说这个，帮我查下电费", nlu.IntentBillQuery, conf(1), ent(nlu.EntityAccount, "3100123456"))
	tests := []scenario{
		{"resumed in words at the menu, answers kept", false, []exch{
			{in: outage("家里没电了"), expect: ExpectScope},
			{in: scope("就我家", nlu.ScopeSelf), expect: ExpectBreaker},
			{in: no("没跳"), expect: ExpectFuse},
			{in: toBill, expect: ExpectVerify},
			{in: utt("张三", "", ent(nlu.EntityName, "张三")), expect: ExpectMenu, has: []string{"112.30", "停电报修还没有办完"}, acts: []string{"resolved:info"}},
			{in: utt("刚才停电的事还没说完", nlu.IntentOutageInfo, conf(0.63)), expect: ExpectFuse, has: []string{"接着办理", "保险丝"}, not: []string{"只有您家没电"}},
			{in: no("没有保险丝"), expect: ExpectPrepaid},
		}},
		{"resumed by asking for the same service again", false, []exch{
			{in: outage("家里没电了"), expect: ExpectScope},
			{in: scope("就我家", nlu.ScopeSelf), expect: ExpectBreaker},
			{in: toBill, expect: ExpectVerify},
			{in: utt("张三", "", ent(nlu.EntityName, "张三")), expect: ExpectMenu, acts: []string{"resolved:info"}},
			{in: outage("我家还是没电呢"), expect: ExpectBreaker, has: []string{"接着办理", "空气开关"}, not: []string{"只有您家没电", "非常抱歉"}},
		}},
		{"resumed mid bill, the bill dropped", false, []exch{
			{in: outage("家里没电了"), expect: ExpectScope},
			{in: scope("就我家", nlu.ScopeSelf), expect: ExpectBreaker},
			{in: toBill, expect: ExpectVerify},
			{in: utt("等等，接着说刚才停电的事", "", conf(0.4)), expect: ExpectBreaker, has: []string{"接着办理"}},
		}},
		{"the quick reply resumes", false, []exch{
			{in: utt("我要投诉", nlu.IntentComplaint), expect: ExpectDetail},
			{in: utt("抄表员态度很差还骂人，上周三的事", nlu.IntentComplaint), expect: ExpectName},
			{in: utt("我先问一下电费怎么交", nlu.IntentPayment), expect: ExpectMenu, has: []string{"投诉还没有办完"}, acts: []string{"resolved:info"}},
			{in: utt("继续刚才的事", "", conf(0.3)), expect: ExpectName, has: []string{"接着办理您刚才的投诉"}},
			{in: name("姓刘", "刘"), expect: ExpectPhone},
		}},
		{"a case given up is not offered again", false, []exch{
			{in: outage("家里没电了"), expect: ExpectScope},
			{in: utt("算了不修了，查下电费吧", nlu.IntentBillQuery, ent(nlu.EntityAccount, "3100123456")), expect: ExpectVerify},
			{in: utt("张三", "", ent(nlu.EntityName, "张三")), expect: ExpectMenu, not: []string{"还没有办完"}, acts: []string{"resolved:info"}},
		}},
		{"刚才 about something else is not a resume", false, []exch{
			{in: outage("家里没电了"), expect: ExpectScope},
			{in: toBill, expect: ExpectVerify},
			{in: utt("张三", "", ent(nlu.EntityName, "张三")), expect: ExpectMenu, acts: []string{"resolved:info"}},
			{in: utt("刚才说的欠费怎么交", nlu.IntentPayment), expect: ExpectMenu, not: []string{"接着办理"}, acts: []string{"resolved:info"}},
		}},
	}
	runScenarios(t, tests)
}

func TestResumeKeepsSlotsAndFacts(t *testing.T) {
	s := runScenario(t, newWorld(), []exch{
		{in: outage("家里没电了", ent(nlu.EntityPhone, "13712345678")), expect: ExpectScope},
		{in: scope("就我家", nlu.ScopeSelf), expect: ExpectBreaker},
		{in: no("没跳"), expect: ExpectFuse},
		{in: utt("先问个别的，电费怎么交", nlu.IntentPayment), expect: ExpectMenu, acts: []string{"resolved:info"}},
	})
	require.NotNil(t, s.st.Suspended)
	require.Equal(t, "no", s.st.Suspended.Facts["breaker"])
	require.Equal(t, "fuse", s.st.Suspended.Step)
	s.say(utt("继续", "", conf(0.3)))
	require.Nil(t, s.st.Suspended)
	require.Equal(t, DialogFault, s.st.Dialog)
	require.Equal(t, "no", s.st.Fact("breaker"))
	require.Equal(t, "13712345678", s.st.Slot(SlotPhone))
	require.Equal(t, ExpectFuse, s.expect())
}

// TestPraiseInsideComplaint: a good word said while a complaint is told stays in it.
func TestPraiseInsideComplaint(t *testing.T) {
	tests := []struct {
		name   string
		turns  []exch
		detail []string
	}{
		{"at the detail question: kept, and the complaint still asked for", []exch{
			{in: utt("我要投诉", nlu.IntentComplaint), expect: ExpectDetail},
			{in: utt("你们客服态度挺好的", nlu.IntentPraise, conf(0.99)), expect: ExpectDetail, has: []string{"一并"}},
			{in: utt("就是抄表那个师傅在门口骂骂咧咧的", nlu.IntentComplaint), expect: ExpectName},
			{in: name("姓蒋", "蒋"), expect: ExpectPhone},
			{in: phone("13788990011"), expect: ExpectConfirm},
			{in: yes("对"), expect: ExpectMenu, acts: []string{"ticket:complaint", "resolved:ticket"}},
		}, []string{"客服态度挺好", "骂骂咧咧"}},
		{"after the detail: joins it, the pending question again", []exch{
			{in: utt("我要投诉,抄表员上周在我家门口骂人", nlu.IntentComplaint), expect: ExpectName},
			{in: utt("不过接电话的小刘服务很好", nlu.IntentPraise, conf(0.95)), expect: ExpectName, has: []string{"一并"}},
			{in: name("姓蒋", "蒋"), expect: ExpectPhone},
			{in: phone("13788990011"), expect: ExpectConfirm},
			{in: yes("对"), expect: ExpectMenu, acts: []string{"ticket:complaint", "resolved:ticket"}},
		}, []string{"骂人", "小刘服务很好"}},
		{"an explicit praise request is its own record", []exch{
			{in: utt("我要投诉", nlu.IntentComplaint), expect: ExpectDetail},
			{in: utt("算了，我要表扬一下", nlu.IntentPraise, conf(0.99)), expect: ExpectDetail, has: []string{"表扬"}},
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := runScenario(t, newWorld(), tc.turns)
			if tc.detail == nil {
				require.Equal(t, KindPraise, s.st.Fact("kind"))
				return
			}
			require.Len(t, s.tix, 1)
			require.Equal(t, KindComplaint, s.tix[0].Kind)
			for _, d := range tc.detail {
				require.Contains(t, s.tix[0].Fields["detail"], d)
			}
		})
	}
}

func TestPlausibleName(t *testing.T) {
	c := &turn{st: &State{Slots: map[string]string{SlotAddress: "幸福路18号"}}, p: nlu.Result{Entities: []nlu.Entity{{Type: nlu.EntityAddress, Value: "石桥镇李家村"}}}}
	for v, want := range map[string]bool{"石桥镇": false, "李家村": false, "幸福路": false, "柳树湾乡": false, "李": true, "刘明": true, "路小平": true} {
		require.Equal(t, want, c.plausibleName(v), v)
	}
}

// TestPromptEtiquette is the quality inspector's checklist applied to every text: short
// enough for a phone screen and speech, no slash or rhetorical challenge, thanks for
// complaints and suggestions, and every record told with what happens next and by when.
func TestPromptEtiquette(t *testing.T) {
	m := newMachine(t)
	for key, p := range m.prompts {
		require.LessOrEqual(t, len([]rune(p.Text)), 110, key)
		for _, bad := range []string{"/", "难道", "不是说了", "怎么还", "你自己", "听不懂", "不归我们管", "没办法"} {
			require.NotContains(t, p.Text, bad, key)
		}
		if strings.Contains(p.Text, "{ticket_id}") && key != "fault_repeat_consult" && key != "praise_done" {
			require.Contains(t, p.Text, "{due}", "%s: a record is told with its deadline", key)
		}
	}
	require.True(t, strings.HasPrefix(m.prompts["greeting"].Text, "{salutation}"))
	for _, key := range []string{"complaint_start", "complaint_done", "suggestion_start", "suggestion_done", "report_start", "report_done", "complaint_recorded"} {
		require.Contains(t, m.prompts[key].Text, "感谢", key)
	}
}
