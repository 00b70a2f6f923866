package dialogs

import (
	"maps"
	"slices"
	"strings"

	"dianbao/nlu"
)

// What real callers do besides answering the question: insult, change the subject, praise
// in passing, answer a different question than the one asked. Each is handled here so the
// case under way is neither lost nor restarted.

var (
	insultWords = []string{"傻X", "傻x", "傻逼", "煞笔", "傻b", "傻B", "sb", "SB", "垃圾", "破服务", "废物", "混蛋", "王八蛋",
		"有病", "脑子进水", "滚", "妈的", "他妈", "白痴", "弱智", "狗屁", "饭桶", "去死", "智障", "什么玩意", "蠢"}
	// changeWords announce a new subject: 换个话题, 算了我先问电费.
	changeWords = []string{"换个话题", "换个问题", "先不说这个", "不说这个了", "这个先不说", "这个不说了", "说别的", "问别的",
		"问点别的", "问个别的", "先问", "另外问", "还有个事", "还有件事", "还有一件事", "还想问", "顺便问", "我想先"}
	// checkWords belong to the self-check answers; a scope statement without them answers
	// the range, not the switch question.
	checkWords = []string{"跳", "闸", "开关", "空开", "漏保", "保险", "插卡", "卡表", "余额", "充值", "推上", "合上", "扳", "灯亮了", "来电了", "有电了"}
	// restoredWords say the power is back, in the same breath as the breaker answer.
	restoredWords = []string{"灯亮了", "亮了", "来电了", "电来了", "有电了", "恢复了", "好了"}
	// breakerNoWords correct an earlier "tripped" at the restore question.
	breakerNoWords = []string{"没跳", "没有跳", "没掉", "没有掉", "都朝上", "都是朝上", "都在上面", "没有朝下"}
)

// active reports whether a dialog waits on a question (not the open menu).
func (c *turn) active() bool {
	return c.st.Dialog != DialogNone && c.st.Step != "" && c.st.Step != "menu"
}

// rude answers an insult calmly: an apology without blame, then the case goes on. Only a
// customer who keeps insulting is passed to a supervisor (domain: 当值主管).
func (c *turn) rude() bool {
	if !containsAny(c.text, insultWords) {
		return false
	}
	c.st.Insults++
	if c.st.Insults > c.m.cfg.MaxInsults && !c.st.Handed {
		c.agitated()
		return true
	}
	if !c.active() || c.st.Dialog == DialogIntake || c.st.Dialog == DialogHandoff {
		return false // the menu or the complaint intake answers what they came for
	}
	c.say("calm_insult", ExpectNone, nil)
	c.calmed = true
	if c.carriesAnswer() || c.switchTarget() != "" {
		return false
	}
	c.reaskPending()
	return true
}

// carriesAnswer reports whether an utterance that was mostly something else (an insult)
// still answers the pending question; the loose yes words (要, 有, 好) do not count here.
func (c *turn) carriesAnswer() bool {
	step := c.st.Step
	if yesNoSteps[step] {
		if c.p.Polarity != nlu.PolarityNone {
			return true
		}
		return containsAny(c.text, strongNoWords) || containsAny(c.text, yesStrongWords) ||
			containsAny(c.text, tripAgainWords) || containsAny(c.text, breakerNoWords)
	}
	return c.answers(step)
}

// reaskPending puts the pending question again without counting it as a failed ask: the
// customer was not given a fair chance to answer it.
func (c *turn) reaskPending() {
	step := c.st.Step
	if c.st.Asked[step] > 0 {
		c.st.Asked[step]--
	}
	if c.st.Dialog == DialogHandoff {
		c.ask(step, nil)
		return
	}
	c.next()
}

// topicChange leaves the current question when the customer says so: 换个话题 goes to the
// open question, 算了我先问电费 straight to the bill even on a modest intent reading.
func (c *turn) topicChange() bool {
	if !c.active() {
		return false
	}
	said := containsAny(c.text, changeWords)
	if !said && !strings.HasPrefix(c.text, "算了") {
		return false
	}
	in, conf := c.p.Intent, c.p.Confidence
	if d := dialogFor(in); d != "" && conf >= c.m.cfg.MinConfidence {
		same := d == c.st.Dialog && (d != DialogIntake || intakeKind(in) == c.st.Facts["kind"])
		if !same {
			c.start(d, in)
			return true
		}
	}
	if !said || in == nlu.IntentThanks {
		return false
	}
	c.toMenu()
	c.say("topic_change", ExpectMenu, nil)
	return true
}

// praiseRequestWords ask for a praise record of its own, as opposed to a good word in passing.
var praiseRequestWords = []string{"我要表扬", "我想表扬", "表扬一下", "要表扬", "想表扬"}

// praiseAside records a praise said in passing and goes back to the pending question,
// instead of dropping a repair for a praise form. Within a complaint, a good word about
// someone else is part of what happened and joins the complaint's detail.
func (c *turn) praiseAside() bool {
	if c.p.Intent != nlu.IntentPraise || c.p.Confidence < c.m.cfg.SwitchConfidence || !c.active() ||
		c.st.Dialog == DialogHandoff {
		return false
	}
	if c.st.Step == "detail" || c.st.Step == "correct" {
		return false
	}
	if c.st.Dialog == DialogIntake {
		if c.st.Facts["kind"] != KindComplaint || containsAny(c.text, praiseRequestWords) {
			return false
		}
		c.takeDetail()
		c.say("detail_noted", ExpectNone, nil)
		c.reaskPending()
		return true
	}
	c.emit(CreateTicket{Kind: KindPraise, Fields: c.fields(map[string]string{"detail": c.p.Text, "context": "aside"})})
	c.say("praise_aside", ExpectNone, nil)
	c.reaskPending()
	return true
}

// selfCheckAside handles an answer to another question during the self-check: a range
// statement (就我家，邻居有电) is recorded, and a wider range leaves the self-check for the
// outage lookup. It reports whether the turn was consumed.
func (c *turn) selfCheckAside() bool {
	step := c.st.Step
	if c.st.Dialog != DialogFault || !selfCheckSteps[step] {
		return false
	}
	s := scopeOf(c.scopeText(), false)
	if s == "" || containsAny(c.text, checkWords) {
		return false
	}
	c.st.Slots[SlotScope] = s
	if s == nlu.ScopeSelf {
		c.reaskPending()
		return true
	}
	for _, k := range append(slices.Collect(maps.Keys(selfCheckSteps)), "path", "looked", "scope") {
		delete(c.st.Facts, k)
		delete(c.st.Asked, k)
	}
	c.faultNext()
	return true
}

// Outcomes of pushing a tripped switch back up.
const (
	resetUnknown = ""
	resetTrips   = "trips" // it trips again at once: a short circuit or leak in the home
	resetHolds   = "holds" // it stays up and the power is still off: not a trip at all
	resetBack    = "back"  // the power is back
)

var (
	pushWords = []string{"推", "合", "扳", "拉上", "弄上", "搬上"}
	// holdsWords say the switch stays up but the home is still dark.
	holdsWords = []string{"还是没电", "还是没有电", "还是黑", "还是莫得电", "还是冇电", "还是不亮", "灯不亮", "没反应", "不跳了", "没再跳",
		"没有再跳", "能合上", "合得上", "推得上", "合上了还是", "推上了还是", "推上去了还是"}
	// unpluggedWords say every appliance was unplugged already.
	unpluggedWords = []string{"插头全拔", "插头都拔", "全拔了", "都拔了", "全部拔", "都拔掉", "全拔掉", "拔光", "电器都拔", "电器全拔"}
)

// resetOutcome reads what the customer says about pushing the switch back up; pushed means
// the question was about that, so the push need not be named.
func (c *turn) resetOutcome(pushed bool) string {
	t := c.text
	pushed = pushed || containsAny(t, pushWords)
	switch {
	case containsAny(t, tripAgainWords):
		return resetTrips
	case !pushed:
		return resetUnknown
	case containsAny(t, holdsWords):
		return resetHolds
	case containsAny(t, restoredWords):
		return resetBack
	}
	return resetUnknown
}

// applyReset records a reset outcome said in a full sentence: 推上去马上又掉下来 skips the
// reset advice, 插头全拔了还是跳 skips the unplug advice too, 推上去还是没电 skips both.
func (c *turn) applyReset(outcome string) {
	f := c.st.Facts
	switch outcome {
	case resetTrips:
		f["breaker"], f["restored_breaker"] = "yes", "no"
		if c.unpluggedAll() {
			f["restored_unplug"] = "no"
		}
	case resetHolds:
		f["breaker"], f["restored_breaker"], f["breaker_holds"] = "yes", "no", "1"
	case resetBack:
		f["breaker"], f["restored_breaker"] = "yes", "yes"
	}
}

// unpluggedAll: the customer says every appliance was unplugged already (not 没拔).
func (c *turn) unpluggedAll() bool {
	return containsAny(c.text, unpluggedWords) && !strings.Contains(c.text, "没拔")
}

// breakerExtras reads what a full-sentence answer to the breaker question says beyond yes:
// 合上去灯就亮了 (reset and back), 推上去还是没电; 推上去又跳下来了 (trips again) counts
// even when the yes/no reading missed the trip.
func (c *turn) breakerExtras() {
	f := c.st.Facts
	r := c.resetOutcome(false)
	if r == resetTrips || f["breaker"] == "yes" && f["restored_breaker"] == "" {
		c.applyReset(r)
	}
}

// restoreAnswer reads the answer to "did the power come back" after a reset or after
// unplugging: a trip again goes on to unplugging or to the electrician, a switch that
// stays up with no power goes on to the fuse, prepaid and meter checks instead.
func (c *turn) restoreAnswer(step string, yn int) int {
	f := c.st.Facts
	switch c.resetOutcome(true) {
	case resetTrips:
		if step == "restored_breaker" && c.unpluggedAll() {
			f["restored_unplug"] = "no"
		}
		return ynNo
	case resetHolds:
		f["breaker_holds"] = "1"
		return ynNo
	}
	if yn == ynNo && step == "restored_breaker" {
		// the choices set 又跳了 apart, so a plain no means the switch stayed up
		f["breaker_holds"] = "1"
	}
	return yn
}

// breakerCorrection: "没跳啊" to the restore question takes back the earlier "tripped".
func (c *turn) breakerCorrection() bool {
	if c.st.Step != "restored_breaker" || !containsAny(c.text, breakerNoWords) || containsAny(c.text, restoredWords) {
		return false
	}
	c.st.Facts["breaker"] = "no"
	delete(c.st.Facts, "restored_breaker")
	c.next()
	return true
}

// houseMarkers bring a crew to the door: a house number, a 组 in a village, a part of a
// building, or a landmark to meet at.
var houseMarkers = []string{"号", "栋", "幢", "单元", "室", "楼", "层", "组", "队", "弄", "门口", "路口", "交叉", "对面", "旁边",
	"附近", "隔壁", "后面", "前面", "广场", "市场", "学校", "医院", "公园", "大厦", "中心", "厂", "站", "公司", "店", "局", "院", "门"}

// vagueAddress: a bare road name (幸福路) or a village (石桥镇李家村) does not bring a crew to
// the door, so a repair asks once for the number or the 组.
func vagueAddress(a string) bool {
	return a != "" && digits(a) == "" && !containsAny(a, houseMarkers)
}

// addressFragment: 18号3单元 said after 幸福路 continues the address instead of replacing it.
func addressFragment(v string) bool {
	r := []rune(strings.TrimSpace(v))
	if len(r) == 0 {
		return false
	}
	if r[0] >= '0' && r[0] <= '9' {
		return true
	}
	return strings.ContainsRune("一二三四五六七八九十幺两零号栋幢单元楼室", r[0]) && len(r) <= 8
}

// plausibleAddress rejects an address entity that is really a description (电线杆倒了压在路).
func plausibleAddress(v string) bool {
	return !containsAny(v, []string{"了", "吗", "呢", "没电", "停电", "跳闸", "倒", "掉", "冒", "坏", "每个月", "去", "钱", "礼拜", "星期"})
}

// mergeAddress joins a continuation to the address already known.
func mergeAddress(old, add string) string {
	add = strings.TrimSpace(add)
	switch {
	case old == "" || strings.Contains(add, old):
		return add
	case strings.Contains(old, add):
		return old
	}
	return old + add
}

// takeAddressMore reads the answer to "which number?" after a vague address.
func (c *turn) takeAddressMore() {
	old := c.st.Facts["addr_before"]
	cur := c.st.Slots[SlotAddress]
	if cur != old && cur != "" {
		return // absorbed from an entity (merged there when it was a fragment)
	}
	if t := strings.TrimSpace(c.text); containsAny(t, noWords) && digits(t) == "" && !strings.ContainsAny(t, "一二三四五六七八九十两") {
		return // 村里没有门牌号: what they have is what the crew gets
	}
	s, ok := c.addressReply()
	if n := len([]rune(s)); ok && n >= 1 && n <= 40 && (hasHan(s) || digits(s) != "") {
		c.st.Slots[SlotAddress] = mergeAddress(old, s)
	}
}

// placeMarkers: an address said in passing must name a place; 礼拜 in 上礼拜 does not.
var placeMarkers = []string{"路", "街", "道", "巷", "号", "村", "组", "镇", "乡", "小区", "花园", "苑", "栋", "幢", "楼", "单元",
	"庄", "屯", "门口", "路口", "广场", "市场", "厂", "园", "区", "县", "市", "大厦", "中心", "院", "站", "桥", "里", "弄", "湾", "府", "城"}

func namesPlace(v string) bool { return digits(v) != "" || containsAny(v, placeMarkers) }

var (
	neighbourWords = []string{"邻居", "隔壁", "对门", "对面", "别人家", "别家", "楼道", "楼上", "楼下", "旁边", "左邻右舍", "周围", "附近", "其他家", "人家"}
	clauseStops    = "，,。；;！!？?"
)

// neighbourScope reads 隔壁王婶家灯是亮的 (only this home) and 楼上楼下也黑了 (wider): what
// the neighbours have tells the range, in any wording.
func neighbourScope(s string) string {
	for _, w := range neighbourWords {
		i := strings.Index(s, w)
		if i < 0 {
			continue
		}
		clause := s[i:]
		if j := strings.IndexAny(clause, clauseStops); j >= 0 {
			clause = clause[:j]
		}
		switch {
		case containsAny(clause, []string{"没电", "没有电", "也停", "也黑", "都停", "都黑", "不亮", "也没", "都没", "一样"}):
			if containsAny(w, []string{"楼", "对门"}) {
				return nlu.ScopeBuilding
			}
			return nlu.ScopeArea
		case containsAny(clause, []string{"有电", "亮", "正常", "好好的", "没停", "没事"}):
			return nlu.ScopeSelf
		}
	}
	return ""
}

// postpaidWords answer the prepaid question with no: the customer pays after use.
var postpaidWords = []string{"每个月交", "每月交", "按月交", "月底交", "每个月去", "后付费", "先用电后交", "先用后交", "银行代扣", "自动扣", "每个月缴", "每月缴"}

// unableToCheck: once a customer could not do one self-check, the next ones are asked only
// once, so a caller who cannot reach the meter box is not walked through every question twice.
func (c *turn) unableToCheck(step string) bool {
	if !selfCheckSteps[step] || c.st.Asked[step] < 1 {
		return false
	}
	for k := range selfCheckSteps {
		if k != step && c.st.Facts[k] == "unknown" {
			return true
		}
	}
	return false
}

// suspendable dialogs lead to a record the customer came for, so leaving one for another
// topic keeps it aside instead of dropping what was already said.
var suspendable = map[string]bool{DialogFault: true, DialogQuality: true, DialogIntake: true}

var (
	// resumeWords ask for the case left earlier: 刚才停电的事还没说完, 继续刚才的事.
	resumeWords = []string{"还没说完", "没说完", "没讲完", "没弄完", "没办完", "没处理完", "接着说", "继续说", "接着讲", "继续讲", "接着刚才", "继续刚才",
		"回到刚才", "刚才那个事", "刚才的事", "刚刚的事", "刚才那件事", "继续报修", "接着报修", "继续登记", "接着登记"}
	// backWords refer back in time; with the case named (停电, 投诉) they ask for it too.
	backWords = []string{"刚才", "刚刚", "之前", "前面", "方才"}
	caseWords = map[string][]string{
		DialogFault:   {"停电", "没电", "报修", "故障", "修", "跳闸", "开关"},
		DialogQuality: {"电压", "闪", "报修", "修"},
		DialogIntake:  {"投诉", "举报", "建议", "表扬"},
	}
	// dropWords give a case up: 算了不修了 is not a case to offer again, 算了我先问电费 is.
	dropWords = []string{"算了", "不报了", "不修了", "不投诉了", "不用修了", "不用报了"}
)

// caseTitle names a suspended case the way the customer would: 停电报修, 投诉.
func caseTitle(f *Frame) string {
	switch f.Dialog {
	case DialogFault:
		return "停电报修"
	case DialogQuality:
		return "电压问题报修"
	case DialogIntake:
		if t := kindTitles[f.Facts["kind"]]; t != "" {
			return t
		}
	}
	return "事情"
}

// suspend keeps the unfinished case aside when the customer turns to another topic.
func (c *turn) suspend(next string) {
	d := c.st.Dialog
	if !suspendable[d] || !c.active() || next == d || next == DialogClosing || next == DialogHandoff || next == DialogSafety {
		return
	}
	if containsAny(c.text, dropWords) && !strings.Contains(c.text, "先") {
		c.st.Suspended = nil
		return
	}
	c.st.Suspended = &Frame{Dialog: d, Facts: c.st.Facts, Intent: c.st.LastIntent, Step: c.st.Step, Asked: c.st.Asked}
}

// resumes reports whether starting dialog for intent means going back to the suspended case.
func (c *turn) resumes(dialog, intent string) bool {
	sp := c.st.Suspended
	if sp == nil || sp.Dialog != dialog {
		return false
	}
	return dialog != DialogIntake || intakeKind(intent) == sp.Facts["kind"]
}

// resumeAsked goes back to the suspended case when the customer asks for it in words
// (刚才停电的事还没说完), whatever intent the classifier read.
func (c *turn) resumeAsked() bool {
	sp := c.st.Suspended
	if sp == nil {
		return false
	}
	t := c.text
	short := len([]rune(t)) <= 6 && containsAny(t, []string{"继续", "接着"})
	if !short && !containsAny(t, resumeWords) && !(containsAny(t, backWords) && containsAny(t, caseWords[sp.Dialog])) {
		return false
	}
	c.resume()
	return true
}

// resume puts the suspended case back with its answers and asks the question it stopped
// on; a case under way now is kept aside in its place.
func (c *turn) resume() {
	sp := c.st.Suspended
	c.st.Suspended = nil
	c.suspend(sp.Dialog)
	c.st.Dialog, c.st.Step, c.st.LastIntent = sp.Dialog, sp.Step, sp.Intent
	c.st.Facts, c.st.Asked = orEmpty(sp.Facts), orEmpty(sp.Asked)
	c.st.Misses = 0
	c.say("resume", ExpectNone, map[string]string{"case": caseTitle(sp)})
	c.reaskPending()
}

// payWords name doing something with money; without them a near tie between the payment
// and bill intents (算了我先问电费) is a question about the bill.
var payWords = []string{"交", "缴", "充", "付", "买电", "购电", "扣款", "代扣"}

// settle breaks a near tie between payment and bill_query by what the customer does with
// the money, so the identity-checked bill dialog is not skipped for a payment leaflet.
func settle(p nlu.Result) nlu.Result {
	if p.Intent != nlu.IntentPayment || containsAny(normText(p), payWords) {
		return p
	}
	for _, r := range p.Ranking {
		if r.Intent == nlu.IntentBillQuery && p.Confidence-r.Confidence < 0.15 {
			p.Intent = nlu.IntentBillQuery // the money reading stays as confident as it was
			return p
		}
	}
	return p
}

// humanWords name a human agent; 帮我找个电工 does not, even when the classifier leans that way.
var humanWords = []string{"人工", "真人", "客服", "转接", "坐席", "机器人", "接线员", "活人"}

// weakHumanAnswer: a weak human_agent reading of a clear yes or no to a yes/no question
// (要的，帮我找个电工 to the electrician offer) is the answer, not a request for an agent.
func (c *turn) weakHumanAnswer() bool {
	return yesNoSteps[c.st.Step] && c.st.Step != "offer_human" && c.p.Confidence < c.m.cfg.SwitchConfidence &&
		c.p.Polarity != nlu.PolarityNone && !containsAny(c.text, humanWords)
}
