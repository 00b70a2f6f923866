package dialogs

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dianbao/nlu"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts under testdata/")

var (
	yes    = func(text string) nlu.Result { return utt(text, nlu.IntentAffirm, pol(nlu.PolarityYes)) }
	no     = func(text string) nlu.Result { return utt(text, nlu.IntentDeny, pol(nlu.PolarityNo)) }
	phone  = func(p string) nlu.Result { return utt(p, "", ent(nlu.EntityPhone, p)) }
	name   = func(text, n string) nlu.Result { return utt(text, "", ent(nlu.EntityName, n)) }
	addr   = func(a string) nlu.Result { return utt(a, "", ent(nlu.EntityAddress, a)) }
	bye    = utt("没有别的事了,谢谢,再见", nlu.IntentGoodbye)
	outage = func(text string, opts ...func(*nlu.Result)) nlu.Result {
		return utt(text, nlu.IntentPowerOutage, opts...)
	}
	scope   = func(text, v string) nlu.Result { return utt(text, "", ent(nlu.EntityScope, v)) }
	dunno   = utt("不知道", "", conf(0.2))
	garbage = utt("今天天气怎么样", "", conf(0.2))
)

func TestFaultTriage(t *testing.T) {
	tests := []scenario{
		{"breaker fixed: self service", false, []exch{
			{in: outage("我家没电了"), expect: ExpectScope, has: []string{"只有您家没电，还是整栋楼、整个小区或整个村都停电了？"}},
			{in: scope("只有我家停了,对门有电", nlu.ScopeSelf), expect: ExpectBreaker, has: []string{"空气开关"}},
			{in: utt("空开确实跳了", nlu.IntentPowerOutage, pol(nlu.PolarityYes)), expect: ExpectRestored, has: []string{"大功率电器", "往上推"}},
			{in: utt("合上去了,灯亮了", nlu.IntentAffirm, pol(nlu.PolarityYes)), expect: ExpectMenu, has: []string{"请问还有其他可以帮您的吗？"}, acts: []string{"resolved:self_service"}},
			{in: bye, expect: ExpectSatisfaction, has: []string{"评价"}},
			{in: utt("满意", ""), expect: ExpectNone, acts: []string{"end"}},
		}},
		{"trips again: unplug, then in-home wiring, paid electrician", false, []exch{
			{in: outage("家里跳闸了", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectRestored, has: []string{"往上推"}},
			{in: utt("一推上去又跳了", nlu.IntentPowerOutage, pol(nlu.PolarityYes)), expect: ExpectRestored, has: []string{"一件一件"}},
			{in: no("还是合不上"), expect: ExpectConfirm, has: []string{"有偿服务", "电表以后的线路属于客户"}},
			{in: yes("需要"), expect: ExpectAddress},
			{in: addr("解放路88号"), expect: ExpectName},
			{in: name("我叫刘明", "刘明"), expect: ExpectPhone},
			{in: phone("13712345678"), expect: ExpectMenu, has: []string{"有偿电工服务"}, acts: []string{"ticket:consult", "resolved:ticket"}},
		}},
		{"in-home fault, electrician declined", false, []exch{
			{in: outage("电闸掉了推不上去", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectRestored, has: []string{"一件一件"}},
			{in: no("还是不行"), expect: ExpectConfirm, has: []string{"有偿"}},
			{in: no("不用了"), expect: ExpectMenu, acts: []string{"resolved:info"}},
		}},
		{"fuse blown and replaced", false, []exch{
			{in: outage("就我家没电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: no("没跳"), expect: ExpectFuse},
			{in: yes("保险丝烧断了"), expect: ExpectRestored, has: []string{"铜丝"}},
			{in: yes("换好了，有电了"), expect: ExpectMenu, acts: []string{"resolved:self_service"}},
		}},
		{"prepaid out of credit, still dark: meter-side repair", false, []exch{
			{in: outage("插卡表没钱了，停电了"), expect: ExpectRestored, has: []string{"24小时"}},
			{in: no("充了还是没电"), expect: ExpectAddress, has: []string{"电表前的供电线路"}},
			{in: addr("李家村三组12号"), expect: ExpectName},
			{in: name("姓王", "王"), expect: ExpectPhone},
			{in: phone("13712345678"), expect: ExpectConfirm, has: []string{"李家村三组12号", "王先生/女士"}},
			{in: yes("对"), expect: ExpectMenu, has: []string{"90分钟"}, acts: []string{"ticket:repair", "resolved:ticket"}},
		}},
		{"all checks negative: repair ticket (public persona repair_ticket)", false, []exch{
			{in: outage("家里没电"), expect: ExpectScope},
			{in: utt("就我家", "", conf(0.3)), expect: ExpectBreaker},
			{in: no("没有跳"), expect: ExpectFuse},
			{in: no("我家没有保险丝"), expect: ExpectPrepaid},
			{in: no("不是插卡的"), expect: ExpectAddress},
			{in: utt("解放路88号", ""), expect: ExpectName},
			{in: utt("姓刘", ""), expect: ExpectPhone},
			{in: utt("13712345678", ""), expect: ExpectConfirm},
			{in: yes("对"), expect: ExpectMenu, has: []string{"45分钟"}, acts: []string{"ticket:repair", "resolved:ticket"}},
		}},
		{"area with a known outage: consult record, no repair", false, []exch{
			{in: outage("我们小区整个都停电了"), expect: ExpectAddress},
			{in: utt("翠湖小区5栋", ""), expect: ExpectMenu, has: []string{"线路检修", "敬请谅解", "不用再另外报修"},
				acts: []string{"outage", "ticket:consult", "resolved:info"}},
		}},
		{"building without a known outage: repair", false, []exch{
			{in: outage("整栋楼都没电了"), expect: ExpectAddress},
			{in: addr("光明路1号"), expect: ExpectName, has: []string{"没有查到"}},
			{in: utt("不想说", nlu.IntentDeny, pol(nlu.PolarityNo)), expect: ExpectPhone},
			{in: phone("13712345678"), expect: ExpectConfirm},
			{in: yes("是的"), expect: ExpectMenu, acts: []string{"ticket:repair", "resolved:ticket"}},
		}},
		{"scope unknown twice: lookup then self-check", false, []exch{
			{in: outage("没电了"), expect: ExpectScope},
			{in: dunno, expect: ExpectScope, has: []string{"邻居家"}},
			{in: dunno, expect: ExpectAddress},
			{in: addr("光明路1号"), expect: ExpectBreaker},
		}},
		{"several slots at once are never asked again", false, []exch{
			{in: outage("我家没电了，就我家，开关没跳，地址解放路88号，我姓刘，电话13712345678",
				ent(nlu.EntityScope, nlu.ScopeSelf), ent(nlu.EntityAddress, "解放路88号"), ent(nlu.EntityName, "刘"), ent(nlu.EntityPhone, "13712345678")),
				expect: ExpectBreaker},
			{in: no("没跳"), expect: ExpectFuse},
			{in: no("没有"), expect: ExpectPrepaid},
			{in: no("不是"), expect: ExpectConfirm, has: []string{"解放路88号", "13712345678"}},
			{in: yes("对"), expect: ExpectMenu, acts: []string{"ticket:repair", "resolved:ticket"}},
		}},
		{"不知道 gets a simpler explanation, not a repeat", false, []exch{
			{in: outage("就我家没电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: utt("看不懂", ""), expect: ExpectBreaker, has: []string{"朝下"}},
			{in: utt("还是不知道", ""), expect: ExpectFuse},
		}},
		{"confirm denied: correct the phone", false, []exch{
			{in: outage("整个小区都停了", ent(nlu.EntityAddress, "光明路1号"), ent(nlu.EntityName, "刘"), ent(nlu.EntityPhone, "13712345678")), expect: ExpectConfirm},
			{in: no("不对"), expect: ExpectDetail, has: []string{"哪一项"}},
			{in: utt("电话错了，是13900001111", ""), expect: ExpectConfirm, has: []string{"13900001111"}},
			{in: yes("对了"), expect: ExpectMenu, acts: []string{"ticket:repair", "resolved:ticket"}},
		}},
		{"checks the customer cannot do: repair without guessing the cause", false, []exch{
			{in: outage("就我家没电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: dunno, expect: ExpectBreaker},
			{in: dunno, expect: ExpectFuse},
			{in: no("没有"), expect: ExpectPrepaid},
			{in: no("不是"), expect: ExpectAddress, has: []string{"暂时确定不了原因"}, not: []string{"都没有问题"}},
			{in: utt("建设路和和平路路口", "", ent(nlu.EntityAddress, "建设路和和平路")), expect: ExpectName},
		}},
		{"dialect and fooled polarity: 莫得跳 / 好好的 read as no", false, []exch{
			{in: outage("屋头没得电了，邻居有电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: utt("莫得跳,闸刀好好的", nlu.IntentDeny, pol(nlu.PolarityYes), conf(0.7)), expect: ExpectFuse},
			{in: utt("打开看了，保险丝烧断了", nlu.IntentPowerOutage, pol(nlu.PolarityYes)), expect: ExpectRestored},
			{in: utt("换了根新保险丝,电来了", nlu.IntentPowerOutage, conf(0.85)), expect: ExpectMenu, acts: []string{"resolved:self_service"}},
		}},
		{"a tripped switch is not a hazard during the self-check", false, []exch{
			{in: outage("家里没电了，邻居家有电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: utt("找着了,门口那个盒子里有个开关掉下来了", nlu.IntentSafetyHazard, conf(0.893)), expect: ExpectRestored},
		}},
		{"address asked at most twice", false, []exch{
			{in: outage("整栋楼停电了"), expect: ExpectAddress},
			{in: dunno, expect: ExpectAddress},
			{in: dunno, expect: ExpectName, has: []string{"地址暂时不确定"}},
		}},
	}
	runScenarios(t, tests)
}

func TestRepairTicketFields(t *testing.T) {
	s := runScenario(t, newWorld(), []exch{
		{in: outage("家里没电"), expect: ExpectScope},
		{in: scope("就我家", nlu.ScopeSelf), expect: ExpectBreaker},
		{in: no("没有跳"), expect: ExpectFuse},
		{in: no("没有"), expect: ExpectPrepaid},
		{in: no("不是"), expect: ExpectAddress},
		{in: utt("解放路88号", ""), expect: ExpectName},
		{in: utt("姓刘", ""), expect: ExpectPhone},
		{in: utt("13712345678", ""), expect: ExpectConfirm},
		{in: yes("对"), expect: ExpectMenu, acts: []string{"ticket:repair", "resolved:ticket"}},
	})
	require.Len(t, s.tix, 1)
	f := s.tix[0].Fields
	require.Equal(t, "解放路88号", f["address"])
	require.Equal(t, "13712345678", f["phone"])
	require.Equal(t, "刘", f["name"])
	require.Equal(t, AreaUrban, f["area_class"])
	require.Contains(t, f["detail"], "开关跳闸：否")
}

func TestSafety(t *testing.T) {
	tests := []scenario{
		{"fallen wire: advice first, then address, phone, emergency", false, []exch{
			{in: utt("路边电线断了掉地上,还在冒火花", nlu.IntentSafetyHazard), expect: ExpectAddress, has: []string{"8米", "119", "不要用手"}},
			{in: utt("人民路和中山路路口", ""), expect: ExpectPhone},
			{in: phone("13712345678"), expect: ExpectNone, has: []string{"紧急抢修", "45分钟"}, acts: []string{"ticket:emergency", "handoff:emergency"}},
		}},
		{"hazard in the middle of a fault dialog, address carried over", false, []exch{
			{in: outage("整栋楼没电了", ent(nlu.EntityAddress, "光明路1号")), expect: ExpectName},
			{in: utt("楼下电线在冒火花", nlu.IntentSafetyHazard, conf(0.6)), expect: ExpectPhone, has: []string{"8米"}},
			{in: phone("13712345678"), expect: ExpectNone, acts: []string{"ticket:emergency", "handoff:emergency"}},
		}},
		{"hazard during a detail answer still wins", false, []exch{
			{in: utt("我要投诉", nlu.IntentComplaint), expect: ExpectDetail},
			{in: utt("有人触电了", nlu.IntentSafetyHazard, ent(nlu.EntityAddress, "建设路3号"), ent(nlu.EntityPhone, "13712345678")),
				expect: ExpectNone, has: []string{"8米"}, acts: []string{"ticket:emergency", "handoff:emergency"}},
		}},
	}
	runScenarios(t, tests)
}

func TestQualityOutageInfoStatusKnowledge(t *testing.T) {
	tests := []scenario{
		{"power quality: voltage repair ticket", false, []exch{
			{in: utt("家里电压不稳，灯一直闪", nlu.IntentPowerQuality), expect: ExpectAddress, has: []string{"贵重电器"}},
			{in: addr("建设路3号"), expect: ExpectName},
			{in: name("姓陈", "陈"), expect: ExpectPhone},
			{in: phone("13712345678"), expect: ExpectConfirm},
			{in: yes("对"), expect: ExpectMenu, has: []string{"电压问题工单"}, acts: []string{"ticket:repair", "resolved:ticket"}},
		}},
		{"outage info: upcoming planned outage", false, []exch{
			{in: utt("阳光花园最近停电吗", nlu.IntentOutageInfo, ent(nlu.EntityAddress, "阳光花园")), expect: ExpectMenu,
				has: []string{"变压器更换", "后天"[:0], "停电安排"}, acts: []string{"outage", "resolved:info"}},
		}},
		{"outage info by account", false, []exch{
			{in: utt("查一下停电信息", nlu.IntentOutageInfo), expect: ExpectAddress, has: []string{"户号"}},
			{in: utt("3100999999", "", ent(nlu.EntityAccount, "3100999999")), expect: ExpectMenu, has: []string{"阳光花园"}, acts: []string{"outage", "resolved:info"}},
		}},
		{"outage info: none known, repair offered and taken, address kept", false, []exch{
			{in: utt("光明路1号什么时候来电", nlu.IntentOutageInfo, ent(nlu.EntityAddress, "光明路1号")), expect: ExpectConfirm, has: []string{"没有查到"}},
			{in: yes("需要报修"), expect: ExpectScope, not: []string{"详细地址"}},
		}},
		{"outage info: none known, no repair wanted", false, []exch{
			{in: utt("光明路1号停电吗", nlu.IntentOutageInfo, ent(nlu.EntityAddress, "光明路1号")), expect: ExpectConfirm},
			{in: no("不需要"), expect: ExpectMenu, acts: []string{"resolved:info"}},
		}},
		{"ticket status by id", false, []exch{
			{in: utt("查一下工单R20261120001的进度", nlu.IntentTicketStatus, ent(nlu.EntityTicketID, "R20261120001")), expect: ExpectMenu,
				has: []string{"已派工", "今天14:40"}, acts: []string{"resolved:info"}},
		}},
		{"ticket status by phone after an unknown id", false, []exch{
			{in: utt("我的报修到哪了", nlu.IntentTicketStatus), expect: ExpectTicketID},
			{in: utt("X123456", ""), expect: ExpectTicketID, has: []string{"没有查到"}},
			{in: utt("13700000000", "", ent(nlu.EntityPhone, "13700000000")), expect: ExpectMenu, has: []string{"R20261120001"}, acts: []string{"resolved:info"}},
		}},
		{"ticket status not found twice: human suggested", false, []exch{
			{in: utt("工单进度", nlu.IntentTicketStatus), expect: ExpectTicketID},
			{in: utt("A99999", ""), expect: ExpectTicketID},
			{in: utt("B88888", ""), expect: ExpectMenu, has: []string{"转人工"}},
		}},
		{"payment without a keyword gets the default payment answer", false, []exch{
			{in: utt("能在手机上弄吗", nlu.IntentPayment), expect: ExpectMenu, has: []string{"支付宝"}, acts: []string{"resolved:info"}},
		}},
		{"payment answered from the knowledge file", false, []exch{
			{in: utt("电费怎么交", nlu.IntentPayment), expect: ExpectMenu, has: []string{"网上国网"}, acts: []string{"resolved:info"}},
		}},
		{"business without keywords: topic choices, then answer", false, []exch{
			{in: utt("我想办个业务", nlu.IntentBusiness), expect: ExpectDetail, has: []string{"哪一项业务"}},
			{in: utt("过户", ""), expect: ExpectMenu, has: []string{"新户主"}, acts: []string{"resolved:info"}},
		}},
		{"business unknown twice: human suggested", false, []exch{
			{in: utt("办业务", nlu.IntentBusiness), expect: ExpectDetail},
			{in: garbage, expect: ExpectDetail},
			{in: garbage, expect: ExpectMenu, has: []string{"转人工"}},
		}},
	}
	runScenarios(t, tests)
}

func TestIntake(t *testing.T) {
	tests := []struct {
		name     string
		turns    []exch
		kind     string
		category string
	}{
		{"complaint (public persona)", []exch{
			{in: utt("我要投诉,抄表员态度很差", nlu.IntentComplaint, agit(0.6)), expect: ExpectDetail, has: []string{"抱歉", "理解您的心情"}},
			{in: utt("上周三来抄表,我问了两句他就骂人", nlu.IntentComplaint), expect: ExpectName},
			{in: utt("姓刘", ""), expect: ExpectPhone},
			{in: phone("13712345678"), expect: ExpectConfirm},
			{in: yes("对"), expect: ExpectMenu, has: []string{"24小时", "5个工作日", "感谢"}, acts: []string{"ticket:complaint", "resolved:ticket"}},
		}, KindComplaint, "service"},
		{"angry complaint: high-priority human, callback and the complaint on record", []exch{
			{in: utt("你们乱收电费，我要投诉到12345！上个月电费多收了两百块钱", nlu.IntentComplaint, agit(0.95)), expect: ExpectPhone,
				has: []string{"理解您的心情", "转接人工客服"}, acts: []string{"handoff:high"}},
			{in: phone("13712345678"), expect: ExpectNone, acts: []string{"ticket:callback", "ticket:complaint"}},
		}, KindCallback, ""},
		{"report: 9 working days", []exch{
			{in: utt("我要举报有人偷电", nlu.IntentReportViolation), expect: ExpectDetail, has: []string{"感谢您的举报"}},
			{in: utt("隔壁工厂私拉电线，晚上偷偷用电", ""), expect: ExpectAddress},
			{in: utt("工业园路5号", ""), expect: ExpectPhone},
			{in: no("不方便留"), expect: ExpectConfirm, has: []string{"工业园路5号"}},
			{in: yes("对"), expect: ExpectMenu, has: []string{"9个工作日"}, acts: []string{"ticket:report", "resolved:ticket"}},
		}, KindReport, ""},
		{"suggestion thanked", []exch{
			{in: utt("我有个建议，希望停电通知能提前发短信告诉我们", nlu.IntentSuggestion), expect: ExpectPhone, has: []string{"非常感谢您的宝贵建议"}},
			{in: phone("13712345678"), expect: ExpectMenu, has: []string{"5个工作日"}, acts: []string{"ticket:suggestion", "resolved:ticket"}},
		}, KindSuggestion, ""},
		{"praise recorded", []exch{
			{in: utt("我要表扬", nlu.IntentPraise), expect: ExpectDetail, has: []string{"感谢"}},
			{in: utt("昨天来修电的王师傅，半夜冒雨来修好了", ""), expect: ExpectName},
			{in: name("我姓孙", "孙"), expect: ExpectMenu, acts: []string{"ticket:praise", "resolved:ticket"}},
		}, KindPraise, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := runScenario(t, newWorld(), tc.turns)
			require.Equal(t, tc.kind, s.tix[0].Kind)
			last := s.tix[len(s.tix)-1]
			require.NotEmpty(t, last.Fields["detail"])
			if tc.category != "" {
				require.Equal(t, tc.category, last.Fields["category"])
			}
		})
	}
}

func TestBillNeverDisclosedBeforeVerification(t *testing.T) {
	secrets := []string{"112.30", "56.70", "213", "张三", "13800138000", "解放路"}
	tests := []scenario{
		{"account, wrong then right name", false, []exch{
			{in: utt("查一下电费", nlu.IntentBillQuery), expect: ExpectAccount},
			{in: utt("3100123456", "", ent(nlu.EntityAccount, "3100123456")), expect: ExpectVerify, not: secrets},
			{in: utt("王五", "", ent(nlu.EntityName, "王五")), expect: ExpectVerify, not: secrets},
			{in: utt("张三", "", ent(nlu.EntityName, "张三")), expect: ExpectMenu, has: []string{"112.30", "56.70", "24小时"}, acts: []string{"resolved:info"}},
		}},
		{"last four digits of the phone", false, []exch{
			{in: utt("户号3100123456欠多少电费", nlu.IntentBillQuery, ent(nlu.EntityAccount, "3100123456")), expect: ExpectVerify, not: secrets},
			{in: utt("8000", "", ent(nlu.EntityNumber, "8000")), expect: ExpectMenu, has: []string{"112.30"}, acts: []string{"resolved:info"}},
		}},
		{"three failures: nothing disclosed, human offered", false, []exch{
			{in: utt("查电费", nlu.IntentBillQuery, ent(nlu.EntityAccount, "3100123456")), expect: ExpectVerify},
			{in: utt("1234", ""), expect: ExpectVerify, not: secrets},
			{in: dunno, expect: ExpectVerify, not: secrets},
			{in: utt("李四", "", ent(nlu.EntityName, "李四")), expect: ExpectPhone, not: secrets, acts: []string{"handoff:normal"}},
			{in: utt("再查一下电费", nlu.IntentBillQuery), expect: anyExpect, not: secrets},
		}},
		{"found by phone: only the name verifies", false, []exch{
			{in: utt("查电费，我手机13800138000", nlu.IntentBillQuery, ent(nlu.EntityPhone, "13800138000")), expect: ExpectVerify},
			{in: utt("8000", ""), expect: ExpectVerify, not: secrets},
			{in: utt("户主是张三", ""), expect: ExpectMenu, has: []string{"112.30"}, acts: []string{"resolved:info"}},
		}},
		{"unknown account twice", false, []exch{
			{in: utt("查电费", nlu.IntentBillQuery), expect: ExpectAccount},
			{in: utt("1111111111", "", ent(nlu.EntityAccount, "1111111111")), expect: ExpectAccount, has: []string{"没有查到"}},
			{in: utt("2222222222", "", ent(nlu.EntityAccount, "2222222222")), expect: ExpectMenu, has: []string{"网上国网"}},
		}},
		{"prepaid balance after verification", false, []exch{
			{in: utt("我的电费余额还有多少", nlu.IntentBillQuery, ent(nlu.EntityAccount, "3100999999")), expect: ExpectVerify, not: []string{"12.50"}},
			{in: utt("2222", ""), expect: ExpectMenu, has: []string{"余额12.50元", "预付费"}, acts: []string{"resolved:info"}},
			{in: utt("再查一下电费", nlu.IntentBillQuery), expect: ExpectMenu, has: []string{"12.50"}, acts: []string{"resolved:info"}},
		}},
	}
	runScenarios(t, tests)
}

func TestHandoff(t *testing.T) {
	tests := []scenario{
		{"ask_human: handoff within one turn, callback after the phone", false, []exch{
			{in: utt("转人工", nlu.IntentHumanAgent), expect: ExpectPhone, has: []string{"正在为您转接人工客服", "可留下联系电话"}, acts: []string{"handoff:normal"}},
			{in: utt("13712345678", ""), expect: ExpectNone, has: []string{"回电"}, acts: []string{"ticket:callback"}},
		}},
		{"agent free and phone known: just wait", true, []exch{
			{in: utt("我要找人工，电话13712345678", nlu.IntentHumanAgent, ent(nlu.EntityPhone, "13712345678")), expect: ExpectNone, acts: []string{"handoff:normal"}},
			{in: utt("人工呢", nlu.IntentHumanAgent), expect: ExpectNone, acts: nil},
		}},
		{"no agent and phone known: callback at once", false, []exch{
			{in: utt("转人工", nlu.IntentHumanAgent, ent(nlu.EntityPhone, "13712345678")), expect: ExpectNone, acts: []string{"handoff:normal", "ticket:callback"}},
		}},
		{"callback declined", false, []exch{
			{in: utt("人工客服", nlu.IntentHumanAgent), expect: ExpectPhone, acts: []string{"handoff:normal"}},
			{in: no("不用了，我等"), expect: ExpectNone, has: []string{"稍候"}},
		}},
		{"not understood twice, then a human", false, []exch{
			{in: garbage, expect: ExpectMenu, has: []string{"不好意思，我没有听明白，您可以换个说法吗？"}},
			{in: garbage, expect: ExpectConfirm, has: []string{"人工"}},
			{in: yes("好的"), expect: ExpectPhone, acts: []string{"handoff:normal"}},
		}},
		{"not understood, then a clear need resets", false, []exch{
			{in: garbage, expect: ExpectMenu},
			{in: utt("电费怎么交", nlu.IntentPayment), expect: ExpectMenu, acts: []string{"resolved:info"}},
			{in: garbage, expect: ExpectMenu, has: []string{"换个说法"}},
		}},
		{"agitation in a fault: high priority, callback, then the human takes over", false, []exch{
			{in: outage("就我家没电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: utt("你们什么破服务！！停了一天了！！", nlu.IntentPowerOutage, agit(0.92)), expect: ExpectPhone, has: []string{"理解您的心情"}, acts: []string{"handoff:high"}},
			{in: phone("13712345678"), expect: ExpectNone, acts: []string{"ticket:callback"}},
		}},
	}
	runScenarios(t, tests)
}

func TestTopicSwitchAndClosing(t *testing.T) {
	tests := []scenario{
		{"fault interrupted by a bill query; phone carried over", false, []exch{
			{in: outage("没电了", ent(nlu.EntityPhone, "13800138000")), expect: ExpectScope},
			{in: utt("先帮我查下电费吧", nlu.IntentBillQuery, conf(0.95)), expect: ExpectVerify},
		}},
		{"a confident payment reading of a prepaid answer is still the answer", false, []exch{
			{in: outage("就我家没电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: no("没跳"), expect: ExpectFuse},
			{in: no("没有"), expect: ExpectPrepaid},
			{in: utt("不是插卡的,我们是每个月交电费", nlu.IntentPayment, conf(0.99), pol(nlu.PolarityNo)), expect: ExpectAddress},
		}},
		{"a complaint outweighs a yes/no answer", false, []exch{
			{in: outage("就我家没电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: utt("没有，我要投诉你们", nlu.IntentComplaint, conf(0.95), pol(nlu.PolarityNo)), expect: ExpectDetail},
		}},
		{"a weak other intent during a yes/no answer is an answer", false, []exch{
			{in: outage("就我家没电", ent(nlu.EntityScope, nlu.ScopeSelf)), expect: ExpectBreaker},
			{in: utt("没有跳，是不是要交钱", nlu.IntentPayment, conf(0.75), pol(nlu.PolarityNo)), expect: ExpectFuse},
		}},
		{"complaint detail is free text, not a switch", false, []exch{
			{in: utt("我要投诉", nlu.IntentComplaint), expect: ExpectDetail},
			{in: utt("停电三天了都没人来修", nlu.IntentPowerOutage, conf(0.9)), expect: ExpectName},
		}},
		{"switch from complaint to suggestion", false, []exch{
			{in: utt("我要投诉", nlu.IntentComplaint), expect: ExpectDetail},
			{in: utt("算了，我提个建议吧", nlu.IntentSuggestion, conf(0.95)), expect: ExpectDetail, has: []string{"宝贵建议"}},
		}},
		{"goodbye in the middle: one satisfaction question, then end", false, []exch{
			{in: outage("整栋楼停电了"), expect: ExpectAddress},
			{in: utt("算了，再见", nlu.IntentGoodbye), expect: ExpectSatisfaction},
			{in: utt("一般", ""), expect: ExpectNone, acts: []string{"end"}},
		}},
		{"a new need at the satisfaction question, then goodbye ends without asking again", false, []exch{
			{in: bye, expect: ExpectSatisfaction},
			{in: utt("对了，电费怎么交", nlu.IntentPayment, conf(0.9)), expect: ExpectMenu, acts: []string{"resolved:info"}},
			{in: bye, expect: ExpectNone, acts: []string{"end"}},
		}},
		{"unclear rating still ends", false, []exch{
			{in: utt("谢谢", nlu.IntentThanks), expect: ExpectSatisfaction},
			{in: utt("嗯嗯", ""), expect: ExpectNone, acts: []string{"end"}},
		}},
		{"greet at the menu", false, []exch{
			{in: utt("你好", nlu.IntentGreet), expect: ExpectMenu, has: []string{"小保"}},
		}},
		{"low confidence closing words", false, []exch{
			{in: utt("没事了", "", conf(0.3)), expect: ExpectSatisfaction},
		}},
	}
	runScenarios(t, tests)
}

func TestOpenReturnedFollowUp(t *testing.T) {
	m := newMachine(t)
	w := newWorld()
	for _, tc := range []struct {
		hour int
		want string
	}{{6, "早上好"}, {9, "上午好"}, {12, "中午好"}, {15, "下午好"}, {20, "晚上好"}, {2, "晚上好"}} {
		now := time.Date(2026, 11, 23, tc.hour, 0, 0, 0, chinaTime)
		st, acts := m.Step(State{}, Turn{Kind: TurnOpen, Now: now, World: w})
		require.Len(t, acts, 1)
		say := acts[0].(Say)
		require.True(t, strings.HasPrefix(say.Text, tc.want), say.Text)
		require.Contains(t, say.Text, "95598智能客服小保")
		require.Equal(t, ExpectMenu, say.Expect)
		require.NotEmpty(t, say.Choices)
		require.Equal(t, "menu", st.Step)
	}

	st, acts := m.Step(State{Handed: true, Dialog: DialogHandoff}, Turn{Kind: TurnReturned, Now: testNow, World: w})
	require.False(t, st.Handed)
	require.Equal(t, ExpectMenu, acts[len(acts)-1].(Say).Expect)

	tk := &TicketView{ID: "R1", Kind: KindRepair, Status: "resolved"}
	st, acts = m.Step(State{}, Turn{Kind: TurnFollowUp, Ticket: tk, Now: testNow, World: w})
	require.Equal(t, ExpectSatisfaction, acts[0].(Say).Expect)
	require.Contains(t, acts[0].(Say).Text, "R1")
	st, acts = m.Step(st, Turn{Parse: utt("非常满意", ""), Now: testNow, World: w})
	require.Equal(t, []string{"rate", "say", "say"}, kinds(acts))
	require.Equal(t, RateTicket{TicketID: "R1", Rating: 5}, acts[0])
	require.Equal(t, ExpectMenu, acts[2].(Say).Expect)
	require.Empty(t, st.FollowUp)

	st, _ = m.Step(State{}, Turn{Kind: TurnFollowUp, Ticket: tk, Now: testNow, World: w})
	_, acts = m.Step(st, Turn{Parse: utt("不满意，修了又坏", ""), Now: testNow, World: w})
	require.Equal(t, RateTicket{TicketID: "R1", Rating: 2}, acts[0])
	require.Contains(t, acts[1].(Say).Text, "抱歉")
}

func TestRating(t *testing.T) {
	m := newMachine(t)
	for text, want := range map[string]int{
		"非常满意": 5, "满意": 4, "还行": 3, "一般般": 3, "不满意": 2, "非常不满意": 1, "打5分": 5, "嗯": 0,
	} {
		c := &turn{m: m, st: &State{}, p: utt(text, ""), text: text}
		require.Equal(t, want, c.rating(), text)
	}
	c := &turn{m: m, st: &State{}, p: utt("三颗星", "", ent(nlu.EntityRating, "3"))}
	require.Equal(t, 3, c.rating())
}

func TestCommitmentsDue(t *testing.T) {
	c := DefaultCommitments()
	fri := time.Date(2026, 11, 27, 10, 0, 0, 0, chinaTime) // Friday
	sat := time.Date(2026, 11, 28, 10, 0, 0, 0, chinaTime)
	tests := []struct {
		kind   string
		fields map[string]string
		from   time.Time
		want   time.Time
	}{
		{KindRepair, map[string]string{"area_class": AreaUrban}, fri, fri.Add(45 * time.Minute)},
		{KindRepair, map[string]string{"area_class": AreaRural}, fri, fri.Add(90 * time.Minute)},
		{KindRepair, map[string]string{"area_class": AreaRemote}, fri, fri.Add(120 * time.Minute)},
		{KindRepair, nil, fri, fri.Add(45 * time.Minute)},
		{KindEmergency, nil, fri, fri.Add(45 * time.Minute)},
		{KindComplaint, nil, fri, time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)},  // 5 working days
		{KindComplaint, nil, sat, time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)},  // counting starts Monday
		{KindReport, nil, fri, time.Date(2026, 12, 10, 10, 0, 0, 0, chinaTime)},    // 9 working days
		{KindSuggestion, nil, fri, time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)}, // 5 working days
		{KindConsult, nil, fri, time.Date(2026, 11, 30, 10, 0, 0, 0, chinaTime)},   // next Monday
		{KindCallback, nil, fri, fri.Add(24 * time.Hour)},
		{"unknown", nil, fri, time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)},
	}
	for _, tc := range tests {
		require.True(t, tc.want.Equal(c.Due(tc.kind, tc.fields, tc.from)), "%s from %s: got %s", tc.kind, tc.from, c.Due(tc.kind, tc.fields, tc.from))
	}
	// A zero Commitments behaves as the defaults; a configured one is honoured.
	require.True(t, fri.Add(45*time.Minute).Equal(Commitments{}.Due(KindRepair, nil, fri)))
	custom := Commitments{ArrivalEmergency: 30 * time.Minute, ArrivalRural: time.Hour}
	require.True(t, fri.Add(30*time.Minute).Equal(custom.Due(KindEmergency, nil, fri)))
	require.True(t, fri.Add(time.Hour).Equal(custom.Due(KindRepair, map[string]string{"area_class": AreaRural}, fri)))
}

func TestAreaClass(t *testing.T) {
	m := newMachine(t)
	require.Equal(t, AreaRural, m.areaClass("李家村三组"))
	require.Equal(t, AreaRural, m.areaClass("城关镇东街"))
	require.Equal(t, AreaUrban, m.areaClass("解放路88号"))
	require.Equal(t, AreaRemote, m.areaClass("北山林场宿舍"))
	m2, err := New(Config{RuralMarkers: []string{"屯"}})
	require.NoError(t, err)
	require.Equal(t, AreaUrban, m2.areaClass("李家村三组"))
}

func TestNewValidation(t *testing.T) {
	_, err := New(Config{AgitationThreshold: 1.5})
	require.ErrorIs(t, err, ErrConfig)

	_, err = loadPrompts([]byte("greeting:\n  text: hi\n"))
	require.ErrorIs(t, err, ErrPrompts)
	_, err = loadPrompts([]byte(":::"))
	require.ErrorIs(t, err, ErrPrompts)

	_, err = loadKnowledge([]byte("- id: a\n  title: A\n  keywords: [x]\n  answer: y\n- id: a\n  title: B\n  keywords: [z]\n  answer: w\n"))
	require.ErrorIs(t, err, ErrKnowledge)
	_, err = loadKnowledge([]byte("- id: a\n  title: A\n  answer: y\n"))
	require.ErrorIs(t, err, ErrKnowledge)
	_, err = loadKnowledge([]byte("[]"))
	require.True(t, errors.Is(err, ErrKnowledge))
}

// TestPromptCatalogue keeps the catalogue customer-ready: Simplified Chinese, no
// leftover variables other than the runtime's, and no blame wording.
func TestPromptCatalogue(t *testing.T) {
	m := newMachine(t)
	known := map[string]bool{"ticket_id": true, "due": true, "salutation": true, "kind": true, "id": true,
		"area": true, "cause": true, "start": true, "eta": true, "days": true, "hours": true, "minutes": true,
		"summary": true, "contact_hours": true, "result_days": true, "report_days": true, "suggestion_days": true,
		"tail": true, "balance": true, "arrears": true, "month": true, "kwh": true, "amount": true, "left": true,
		"status": true, "address": true, "case": true}
	placeholder := regexp.MustCompile(`\{([a-z_]+)\}`)
	for key, p := range m.prompts {
		require.True(t, hasHan(p.Text), key)
		for _, bad := range []string{"你", "您怎么", "难道", "说清楚", "听不懂你"} {
			require.NotContains(t, p.Text, bad, key)
		}
		for _, ph := range placeholder.FindAllStringSubmatch(p.Text, -1) {
			require.True(t, known[ph[1]], "%s uses unknown placeholder %s", key, ph[0])
		}
	}
	for _, e := range m.knowledge {
		require.True(t, hasHan(e.Answer), e.ID)
		require.NotContains(t, e.Answer, "你", e.ID)
	}
}

// TestNoPanics feeds odd turns in every state reached by the scenarios above.
func TestNoPanics(t *testing.T) {
	m := newMachine(t)
	odd := []nlu.Result{
		{}, {Text: "   "}, {Intent: "nonsense", Confidence: 2}, {Text: "１３９", Confidence: -1},
		{Text: "x", Entities: []nlu.Entity{{Type: "phone", Value: ""}, {Type: "scope", Value: "moon"}, {Type: "rating", Value: "9"}}},
		{Text: "是", Polarity: "maybe", Agitation: 5},
	}
	states := []State{{}, {Step: "verify", Dialog: DialogBill}, {Step: "confirm", Dialog: DialogFault},
		{Step: "callback_phone", Dialog: DialogHandoff}, {Step: "satisfaction", Dialog: DialogClosing},
		{Step: "topic", Dialog: DialogKnowledge}, {Step: "followup"}, {Dialog: "unknown", Step: "weird"},
		{Ended: true}, {Dialog: DialogIntake, Step: "detail"}, {Dialog: DialogStatus, Step: "ticket_id"}}
	for _, st := range states {
		for _, p := range odd {
			for _, w := range []World{nil, newWorld()} {
				require.NotPanics(t, func() {
					next, acts := m.Step(st, Turn{Parse: p, World: w})
					_, err := json.Marshal(next)
					require.NoError(t, err)
					require.NotEmpty(t, acts)
				})
			}
		}
	}
}

func TestStateIsNotMutated(t *testing.T) {
	m := newMachine(t)
	st := State{Dialog: DialogFault, Step: "scope", Slots: map[string]string{"phone": "1"}, Facts: map[string]string{}, Asked: map[string]int{"scope": 1}}
	_, _ = m.Step(st, Turn{Parse: scope("只有我家", nlu.ScopeSelf), Now: testNow, World: newWorld()})
	require.Equal(t, map[string]string{"phone": "1"}, st.Slots)
	require.Equal(t, map[string]int{"scope": 1}, st.Asked)
}

func TestSummary(t *testing.T) {
	st := State{Dialog: DialogFault, Slots: map[string]string{"address": "解放路88号", "phone": "13712345678"}, Facts: map[string]string{"detail": "家里没电"}}
	require.Equal(t, "故障报修｜地址:解放路88号｜电话:137****5678｜说明:家里没电", st.Summary())
	require.Equal(t, "解放路88号", st.Slot("address"))
}

// TestGolden keeps whole conversations as readable transcripts under testdata/.
func TestGolden(t *testing.T) {
	convs := map[string][]nlu.Result{
		"repair_ticket": {outage("家里没电"), utt("就我家", ""), no("没有跳"), no("我家没有保险丝"), no("不是插卡的"),
			utt("解放路88号", ""), utt("姓刘", ""), utt("13712345678", ""), yes("对"), bye, utt("满意", "")},
		"area_known_outage": {outage("我们小区整个都停电了"), utt("翠湖小区5栋", ""), bye, utt("还行", "")},
		"complaint": {utt("我要投诉,抄表员态度很差", nlu.IntentComplaint), utt("上周三来抄表,我问了两句他就骂人", nlu.IntentComplaint),
			utt("姓刘", ""), utt("13712345678", ""), yes("对"), bye, utt("满意", "")},
		"bill_switch_safety": {utt("查电费", nlu.IntentBillQuery), utt("3100123456", "", ent(nlu.EntityAccount, "3100123456")),
			utt("张三", ""), utt("门口电线杆歪了，电线快掉下来了", nlu.IntentSafetyHazard), utt("解放路88号门口", ""), utt("13800138000", "")},
	}
	for name, turns := range convs {
		t.Run(name, func(t *testing.T) {
			s := newSession(t, newWorld())
			for _, p := range turns {
				s.say(p)
			}
			path := filepath.Join("testdata", name+".golden")
			got := s.transcript()
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./dialogs -run TestGolden -update")
			require.Equal(t, string(want), got)
		})
	}
}

func BenchmarkStep(b *testing.B) {
	m := newMachine(b)
	w := newWorld()
	turns := []nlu.Result{outage("家里没电"), utt("就我家", ""), no("没有跳"), no("没有"), no("不是"),
		utt("解放路88号", ""), utt("姓刘", ""), utt("13712345678", ""), yes("对"), bye, utt("满意", "")}
	b.ReportAllocs()
	for b.Loop() {
		st, _ := m.Step(State{}, Turn{Kind: TurnOpen, Now: testNow, World: w})
		for _, p := range turns {
			st, _ = m.Step(st, Turn{Parse: p, Now: testNow, World: w})
		}
	}
}

func TestEdgeTransitions(t *testing.T) {
	tests := []scenario{
		{"a bare phone misread as goodbye still answers the phone question", false, []exch{
			{in: utt("我要投诉", nlu.IntentComplaint), expect: ExpectDetail},
			{in: utt("抄表员上周来抄表的时候态度非常差还骂人", nlu.IntentComplaint), expect: ExpectName},
			{in: utt("姓刘", "", ent(nlu.EntityName, "刘")), expect: ExpectPhone},
			{in: utt("13712345678", nlu.IntentGoodbye, conf(0.996), func(r *nlu.Result) {
				r.Entities = []nlu.Entity{{Type: nlu.EntityPhone, Value: "13712345678", Start: 0, End: 11}}
			}), expect: ExpectConfirm},
		}},
		{"offer of a human declined", false, []exch{
			{in: garbage, expect: ExpectMenu},
			{in: garbage, expect: ExpectConfirm},
			{in: no("不用了"), expect: ExpectMenu, acts: nil},
		}},
		{"offer of a human answered with a new need", false, []exch{
			{in: garbage, expect: ExpectMenu},
			{in: garbage, expect: ExpectConfirm},
			{in: utt("电费怎么交", nlu.IntentPayment, conf(0.6)), expect: ExpectMenu, acts: []string{"resolved:info"}},
		}},
		{"third miss hands over", false, []exch{
			{in: garbage, expect: ExpectMenu},
			{in: garbage, expect: ExpectConfirm},
			{in: garbage, expect: ExpectPhone, acts: []string{"handoff:normal"}},
		}},
		{"correction of the address by naming it", false, []exch{
			{in: outage("整栋楼停电", ent(nlu.EntityAddress, "光明路1号"), ent(nlu.EntityName, "刘"), ent(nlu.EntityPhone, "13712345678")), expect: ExpectConfirm},
			{in: no("不对"), expect: ExpectDetail},
			{in: utt("地址说错了", ""), expect: ExpectAddress},
			{in: utt("光明路11号", ""), expect: ExpectConfirm, has: []string{"光明路11号"}},
		}},
		{"agitation with an agent free and the phone known", true, []exch{
			{in: utt("气死我了！！！你们到底管不管！！", nlu.IntentOutOfScope, agit(0.9), ent(nlu.EntityPhone, "13712345678")), expect: ExpectNone,
				has: []string{"理解您的心情"}, acts: []string{"handoff:high"}},
		}},
	}
	runScenarios(t, tests)
}

func TestComplaintCategory(t *testing.T) {
	for text, want := range map[string]string{
		"营业厅工作人员态度差":  "service",
		"门口施工挖断了路":    "grid_construction",
		"电压太低空调开不了":   "power_quality",
		"一个月停电五次":     "outage",
		"这个月电费多收了一百块": "billing",
		"说不上来":        "service",
	} {
		require.Equal(t, want, complaintCategory(text), text)
	}
}

func TestEmergencyArrivalConfigurable(t *testing.T) {
	m, err := New(Config{Commitments: Commitments{ArrivalEmergency: 30 * time.Minute}})
	require.NoError(t, err)
	st, _ := m.Step(State{}, Turn{Kind: TurnOpen, Now: testNow, World: newWorld()})
	_, acts := m.Step(st, Turn{Parse: utt("电线断了", nlu.IntentSafetyHazard, ent(nlu.EntityAddress, "人民路1号"), ent(nlu.EntityPhone, "13712345678")), Now: testNow, World: newWorld()})
	var texts []string
	for _, a := range acts {
		if s, ok := a.(Say); ok {
			texts = append(texts, s.Text)
		}
	}
	require.Contains(t, strings.Join(texts, ""), "30分钟")
}
