package dialogs

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dianbao/nlu"
)

// collect asks for the first missing slot and reports whether all are known; a slot asked
// MaxAsks times without an answer is skipped with a note rather than asked again.
func (c *turn) collect(slots ...string) bool {
	for _, s := range slots {
		if s == SlotAddress && c.have(s) && c.wantsAddressDetail() {
			c.st.Facts["addr_more"] = "1"
			c.st.Facts["addr_before"] = c.st.Slots[SlotAddress]
			c.ask("address_more", map[string]string{"address": c.st.Slots[SlotAddress]})
			return false
		}
		if c.have(s) || c.st.Facts["skip_"+s] != "" {
			continue
		}
		if c.exhausted(s) {
			c.st.Facts["skip_"+s] = "1"
			c.say("skip_"+s, ExpectNone, nil)
			continue
		}
		c.ask(s, nil)
		return false
	}
	return true
}

// wantsAddressDetail: a crew needs more than a road name, so a repair asks once for the
// number; a hazard location or an outage lookup does not wait for it.
func (c *turn) wantsAddressDetail() bool {
	if c.st.Dialog != DialogFault && c.st.Dialog != DialogQuality {
		return false
	}
	if c.st.Dialog == DialogFault && c.st.Facts["looked"] == "" && c.st.Slots[SlotScope] != nlu.ScopeSelf {
		return false // the outage lookup needs the place, not the door
	}
	return c.st.Facts["addr_more"] == "" && vagueAddress(c.st.Slots[SlotAddress])
}

func (c *turn) have(s string) bool {
	if s == "detail" {
		return c.st.Facts["detail_given"] != ""
	}
	return c.st.Slots[s] != ""
}

// yn returns the answer of a yes/no step, or asks it; a step that stayed unclear after
// MaxAsks reads as "unknown" so the dialog moves on instead of looping.
func (c *turn) yn(step string, vars map[string]string) (string, bool) {
	if v := c.st.Facts[step]; v != "" {
		return v, true
	}
	if c.exhausted(step) || c.unableToCheck(step) {
		c.st.Facts[step] = "unknown"
		return "unknown", true
	}
	c.ask(step, vars)
	return "", false
}

// confirmed reads back what was collected once; an unclear answer twice counts as yes,
// because losing the customer's report is worse than a record to be checked by phone.
func (c *turn) confirmed() bool {
	v, ok := c.yn("confirm", map[string]string{"summary": c.summaryLine()})
	return ok && v != "no"
}

func (c *turn) summaryLine() string {
	var parts []string
	if v := c.st.Slots[SlotAddress]; v != "" {
		parts = append(parts, "地址："+v)
	}
	if v := c.st.Slots[SlotName]; v != "" {
		if len([]rune(v)) == 1 {
			v += "先生/女士"
		}
		parts = append(parts, "联系人："+v)
	}
	if v := c.st.Slots[SlotPhone]; v != "" {
		parts = append(parts, "联系电话："+v)
	}
	if v := c.st.Facts["detail"]; v != "" && c.st.Dialog != DialogFault {
		parts = append(parts, "内容："+clip(v, 60))
	}
	return strings.Join(parts, "，")
}

// fields builds ticket fields from the collected slots plus extras.
func (c *turn) fields(extra map[string]string) map[string]string {
	f := map[string]string{}
	for _, k := range []string{SlotAddress, SlotName, SlotPhone, SlotAccount} {
		if v := c.st.Slots[k]; v != "" {
			f[k] = v
		}
	}
	if v := c.st.Facts["detail"]; v != "" {
		f["detail"] = v
	}
	for k, v := range extra {
		if v != "" {
			f[k] = v
		}
	}
	return f
}

func minutes(d time.Duration) string { return strconv.Itoa(int(d / time.Minute)) }

// ---- fault triage (seed 003 §3.1) ----

var (
	breakerWords = []string{"跳闸", "跳匝", "空开跳", "空开掉", "漏保跳", "漏电保护器跳", "电闸掉", "闸掉", "开关跳", "开关掉", "总闸跳"}
	fuseWords    = []string{"保险丝断", "保险丝烧", "保险烧", "熔丝断", "熔丝烧", "保险断"}
	prepaidWords = []string{"没钱了", "余额不足", "欠费", "卡表没钱", "插卡表没", "电费用完", "钱用完"}
)

func (c *turn) faultStart() {
	c.st.Facts["report"] = c.p.Text
	if s := scopeOf(c.scopeText(), false); s != "" && c.st.Slots[SlotScope] == "" {
		c.st.Slots[SlotScope] = s
	}
	// A customer who already names the cause is in the self-check already.
	switch r := c.resetOutcome(false); {
	case r == resetTrips || r == resetHolds:
		c.applyReset(r)
	case containsAny(c.text, breakerWords):
		c.st.Facts["breaker"] = "yes"
	case containsAny(c.text, fuseWords):
		c.st.Facts["breaker"], c.st.Facts["fuse"] = "no", "yes"
	case containsAny(c.text, prepaidWords):
		c.st.Facts["breaker"], c.st.Facts["fuse"], c.st.Facts["prepaid"] = "no", "no", "yes"
	}
	if c.st.Facts["breaker"] != "" && c.st.Slots[SlotScope] == "" {
		c.st.Slots[SlotScope] = nlu.ScopeSelf
	}
	c.say("fault_start", ExpectNone, nil)
	c.faultNext()
}

func (c *turn) faultNext() {
	f := c.st.Facts
	scope := cmp.Or(c.st.Slots[SlotScope], f["scope"])
	if scope == "" {
		if !c.exhausted("scope") {
			c.ask("scope", nil)
			return
		}
		scope, f["scope"] = "unknown", "unknown"
	}
	if scope != nlu.ScopeSelf && f["looked"] == "" {
		if !c.collect(SlotAddress) {
			return
		}
		f["looked"] = "1"
		if outs := c.outagesNow(c.st.Slots[SlotAddress]); len(outs) > 0 {
			c.knownOutage(outs)
			return
		}
		if scope != "unknown" {
			f["path"] = "area"
		}
	}
	if f["path"] == "area" {
		c.repairPath("fault_no_outage", "outage")
		return
	}
	c.selfCheck()
}

// selfCheck walks the customer through breaker, fuse and prepaid credit, one at a time,
// and then sends the case to the paid electrician or to a repair crew.
func (c *turn) selfCheck() {
	f := c.st.Facts
	if f["path"] == "" {
		path := c.selfCheckPath()
		if path == "" {
			return
		}
		f["path"] = path
	}
	if f["path"] == "electrician" {
		c.electrician()
		return
	}
	c.repairPath(c.meterLead(), "outage")
}

// selfCheckPath puts the next self-check question and returns where the checks lead
// ("electrician" for the home wiring, "meter" for the supply side), or "" while a question
// is pending or once the power is back.
func (c *turn) selfCheckPath() string {
	f := c.st.Facts
	breaker, ok := c.yn("breaker", nil)
	if !ok {
		return ""
	}
	if breaker == "yes" {
		if c.restored("restored_breaker", nil) {
			return ""
		}
		if f["breaker_holds"] == "" {
			if c.restored("restored_unplug", nil) {
				return ""
			}
			return "electrician"
		}
		// the switch stays up and it is still dark: no short circuit, look further
		if f["holds_said"] == "" {
			f["holds_said"] = "1"
			c.say("breaker_holds", ExpectNone, nil)
		}
	}
	fuse, ok := c.yn("fuse", nil)
	if !ok {
		return ""
	}
	if fuse == "yes" {
		if c.restored("restored_fuse", nil) {
			return ""
		}
		return "electrician"
	}
	vars := map[string]string{"hours": hours(c.m.cfg.Commitments.ArrearsRestore)}
	prepaid, ok := c.yn("prepaid", vars)
	if !ok {
		return ""
	}
	if prepaid == "yes" && c.restored("restored_prepaid", vars) {
		return ""
	}
	return "meter"
}

// restored asks whether the power came back after a piece of advice; it reports whether
// the turn is over: the question is put, or the power is back and the need is met.
func (c *turn) restored(step string, vars map[string]string) bool {
	r, ok := c.yn(step, vars)
	if ok && r == "yes" {
		c.restoredOK()
	}
	return !ok || r == "yes"
}

// meterLead explains why a crew comes: every check clear points to the meter side; a check
// the customer could not do leaves the cause open, and the bot does not pretend otherwise.
func (c *turn) meterLead() string {
	for _, k := range []string{"breaker", "fuse", "prepaid"} {
		if c.st.Facts[k] == "unknown" {
			return "fault_uncertain"
		}
	}
	return "meter_side"
}

func hours(d time.Duration) string { return strconv.Itoa(int(d / time.Hour)) }

func (c *turn) restoredOK() {
	c.say("restored_ok", ExpectNone, nil)
	c.met(HowSelfService)
}

// electrician explains the property boundary (表后线路属客户) and offers paid help.
func (c *turn) electrician() {
	v, ok := c.yn("electrician", nil)
	if !ok {
		return
	}
	if v != "yes" {
		c.say("electrician_declined", ExpectNone, nil)
		c.met(HowInfo)
		return
	}
	if !c.collect(SlotAddress, SlotName, SlotPhone) {
		return
	}
	c.emit(CreateTicket{Kind: KindConsult, Fields: c.fields(map[string]string{
		"service": "paid_electrician", "category": "in_home", "detail": c.checkSummary(),
		"area_class": c.m.areaClass(c.st.Slots[SlotAddress]),
	})})
	c.say("electrician_done", ExpectNone, nil)
	c.met(HowTicket)
}

// repairPath collects the contact and opens a repair work order.
func (c *turn) repairPath(lead, category string) {
	if c.st.Facts["lead_said"] == "" {
		c.st.Facts["lead_said"] = "1"
		c.say(lead, ExpectNone, nil)
	}
	if !c.collect(SlotAddress, SlotName, SlotPhone) {
		return
	}
	if c.st.Slots[SlotAddress] == "" && c.st.Slots[SlotPhone] == "" {
		// a work order nobody can find or call is no help: a human takes it from here
		c.say("no_contact_handoff", ExpectNone, nil)
		c.handoff(PriorityNormal, "no_contact", false)
		return
	}
	if !c.confirmed() {
		return
	}
	class := c.m.areaClass(c.st.Slots[SlotAddress])
	extra := map[string]string{"category": category, "area_class": class, "scope": c.st.Slots[SlotScope]}
	if c.st.Dialog == DialogFault {
		extra["detail"] = c.checkSummary()
	}
	c.emit(CreateTicket{Kind: KindRepair, Fields: c.fields(extra)})
	key := "repair_done"
	if category == "voltage" {
		key = "quality_done"
	}
	c.say(key, ExpectNone, map[string]string{"minutes": minutes(c.m.cfg.Commitments.Arrival(class))})
	c.met(HowTicket)
}

// checkSummary tells the crew what the self-check found, so nobody asks the customer again.
func (c *turn) checkSummary() string {
	f := c.st.Facts
	parts := []string{}
	if r := f["report"]; r != "" {
		parts = append(parts, "客户反映："+r)
	}
	scope := map[string]string{nlu.ScopeSelf: "仅客户一户", nlu.ScopeBuilding: "整栋楼", nlu.ScopeArea: "整个小区或片区"}[c.st.Slots[SlotScope]]
	if scope != "" {
		parts = append(parts, "停电范围："+scope)
	}
	read := map[string]string{"yes": "是", "no": "否", "unknown": "不确定", "1": "是"}
	for _, k := range []struct{ key, label string }{
		{"breaker", "开关跳闸"}, {"restored_breaker", "合闸后恢复"}, {"breaker_holds", "合闸后不再跳但仍无电"}, {"restored_unplug", "拔插头后恢复"},
		{"fuse", "保险丝熔断"}, {"prepaid", "预付费余额不足"}, {"restored_prepaid", "充值后恢复"},
	} {
		if v := f[k.key]; v != "" {
			parts = append(parts, k.label+"："+read[v])
		}
	}
	return strings.Join(parts, "；")
}

// outagesNow returns the known outages in force at the address now.
func (c *turn) outagesNow(address string) []Outage {
	var in []Outage
	for _, o := range c.t.World.Outages(address, c.t.Now, 0) {
		if c.t.Now.IsZero() || (!o.Start.After(c.t.Now) && c.t.Now.Before(o.ETA)) {
			in = append(in, o)
		}
	}
	return in
}

func (c *turn) outageVars(o Outage) map[string]string {
	kind := "故障"
	if o.Kind == "planned" {
		kind = "计划检修"
	}
	cause := o.Cause
	if cause == "" {
		cause = "正在排查"
	}
	return map[string]string{
		"area": o.Area, "kind": kind, "cause": cause,
		"start": c.clock(o.Start), "eta": c.clock(o.ETA),
	}
}

// clock formats a time the way an agent would say it: 今天15:30, 明天08:00, 11月25日09:00.
func (c *turn) clock(t time.Time) string {
	if t.IsZero() {
		return "尽快"
	}
	lt := t.In(c.m.cfg.Zone)
	hm := lt.Format("15:04")
	if c.t.Now.IsZero() {
		return fmt.Sprintf("%d月%d日%s", lt.Month(), lt.Day(), hm)
	}
	now := c.t.Now.In(c.m.cfg.Zone)
	y1, m1, d1 := now.Date()
	day := time.Date(y1, m1, d1, 0, 0, 0, 0, c.m.cfg.Zone)
	switch diff := lt.Sub(day); {
	case diff >= 0 && diff < 24*time.Hour:
		return "今天" + hm
	case diff >= 24*time.Hour && diff < 48*time.Hour:
		return "明天" + hm
	}
	return fmt.Sprintf("%d月%d日%s", lt.Month(), lt.Day(), hm)
}

// knownOutage answers a report of a known outage: cause, restore time, apology, and a
// consult record instead of a second dispatch (重复报修只作咨询工单处理).
func (c *turn) knownOutage(outs []Outage) {
	c.showOutages(outs)
	ids := make([]string, 0, len(outs))
	for _, o := range outs {
		ids = append(ids, o.ID)
	}
	c.say("fault_known_outage", ExpectNone, nil)
	c.emit(CreateTicket{Kind: KindConsult, Fields: c.fields(map[string]string{
		"category": "repeat_report", "outage_id": strings.Join(ids, ","),
		"detail": "客户报修已知停电（" + strings.Join(ids, ",") + "）：" + c.st.Facts["report"],
	})})
	c.say("fault_repeat_consult", ExpectNone, nil)
	c.met(HowInfo)
}

// showOutages shows and tells each outage; one still ahead is told as upcoming.
func (c *turn) showOutages(outs []Outage) {
	for _, o := range outs {
		c.emit(ShowOutage{Outage: o})
		key := "outage_item"
		if !c.t.Now.IsZero() && o.Start.After(c.t.Now) {
			key = "outage_info_upcoming"
		}
		c.say(key, ExpectNone, c.outageVars(o))
	}
}

// ---- safety hazards: advice before any question ----

func (c *turn) safetyStart() {
	c.st.Facts["detail"] = c.p.Text
	c.st.Facts["detail_given"] = "1"
	c.say("safety_advice", ExpectNone, nil)
	c.safetyNext()
}

func (c *turn) safetyNext() {
	if !c.collect(SlotAddress, SlotPhone) {
		return
	}
	c.emit(CreateTicket{Kind: KindEmergency, Fields: c.fields(map[string]string{
		"category": "safety", "area_class": c.m.areaClass(c.st.Slots[SlotAddress]),
	})})
	c.emit(Handoff{Priority: PriorityEmergency, Reason: "emergency", Summary: c.st.Summary()})
	c.st.Handed = true
	c.say("emergency_done", ExpectNone, map[string]string{"minutes": minutes(c.m.cfg.Commitments.arrivalEmergency())})
	c.st.Dialog, c.st.Step = DialogNone, ""
	c.clearAnswers()
}

// ---- power quality ----

func (c *turn) qualityStart() {
	c.st.Facts["detail"] = c.p.Text
	c.st.Facts["detail_given"] = "1"
	c.say("quality_start", ExpectNone, nil)
	c.qualityNext()
}

func (c *turn) qualityNext() { c.repairPath("quality_lead", "voltage") }

// ---- outage information ----

func (c *turn) outageStart() { c.outageNext() }

func (c *turn) outageNext() {
	if c.st.Facts["looked"] == "" && !c.outageLookup() {
		return
	}
	v, ok := c.yn("report_fault", nil)
	if !ok {
		return
	}
	if v == "yes" {
		c.start(DialogFault, nlu.IntentPowerOutage)
		return
	}
	c.met(HowInfo)
}

// outageLookup looks up the outages at the customer's address, or at the address of the
// account given, once; it reports whether nothing was found and a repair is to be offered.
func (c *turn) outageLookup() bool {
	addr := c.st.Slots[SlotAddress]
	if addr == "" && c.st.Slots[SlotAccount] != "" {
		if a, ok := c.t.World.Account(c.st.Slots[SlotAccount]); ok {
			addr = a.Address
		}
	}
	if addr == "" {
		if c.exhausted(SlotAddress) {
			c.giveUp("skip_address")
			return false
		}
		c.ask(SlotAddress, nil)
		return false
	}
	c.st.Facts["looked"] = "1"
	if outs := c.t.World.Outages(addr, c.t.Now, c.m.cfg.OutageHorizon); len(outs) > 0 {
		c.showOutages(outs)
		c.say("outage_info_found", ExpectNone, nil)
		c.met(HowInfo)
		return false
	}
	c.say("outage_info_none", ExpectNone, map[string]string{"days": strconv.Itoa(int(c.m.cfg.OutageHorizon / (24 * time.Hour)))})
	return true
}

// ---- complaint, report, suggestion, praise ----

func intakeKind(intent string) string {
	switch intent {
	case nlu.IntentComplaint:
		return KindComplaint
	case nlu.IntentReportViolation:
		return KindReport
	case nlu.IntentSuggestion:
		return KindSuggestion
	case nlu.IntentPraise:
		return KindPraise
	}
	return ""
}

var intakeTriggers = []string{"我要投诉", "我想投诉", "要投诉", "投诉", "我要举报", "我想举报", "举报", "我想提个建议", "提个建议", "提建议", "建议", "意见", "我要表扬", "我想表扬", "表扬", "我要", "我想", "你们", "一下"}

// detailMin is how much description the first sentence must carry to count as the detail.
var detailMin = map[string]int{KindComplaint: 12, KindReport: 12, KindSuggestion: 6, KindPraise: 4}

func (c *turn) intakeStart(intent string) {
	kind := intakeKind(intent)
	c.st.Facts["kind"] = kind
	c.st.Facts["report"] = c.p.Text
	rest := c.text
	for _, w := range intakeTriggers {
		rest = strings.ReplaceAll(rest, w, "")
	}
	rest = strings.Trim(rest, "，。,.!！?？ 、")
	if len([]rune(rest)) >= detailMin[kind] {
		c.st.Facts["detail"] = c.p.Text
		c.st.Facts["detail_given"] = "1"
	} else if rest != "" {
		c.st.Facts["detail"] = c.p.Text
	}
	c.say(kind+"_start", ExpectNone, nil)
	c.intakeNext()
}

// intakeSlots: what each record needs, in the order it is asked.
var intakeSlots = map[string][]string{
	KindComplaint:  {"detail", SlotName, SlotPhone},
	KindReport:     {"detail", SlotAddress, SlotPhone},
	KindSuggestion: {"detail", SlotPhone},
	KindPraise:     {"detail", SlotName},
}

func (c *turn) intakeNext() {
	kind := c.st.Facts["kind"]
	if !c.collect(intakeSlots[kind]...) {
		return
	}
	if (kind == KindComplaint || kind == KindReport) && !c.confirmed() {
		return
	}
	extra := map[string]string{}
	if kind == KindComplaint {
		extra["category"] = complaintCategory(c.st.Facts["report"] + " " + c.st.Facts["detail"])
	}
	c.emit(CreateTicket{Kind: kind, Fields: c.fields(extra)})
	c.say(kind+"_done", ExpectNone, c.deadlineVars())
	c.met(HowTicket)
}

// deadlineVars are the answer deadlines the records promise, for the catalogue texts.
func (c *turn) deadlineVars() map[string]string {
	cm := c.m.cfg.Commitments
	return map[string]string{
		"contact_hours": hours(cm.ComplaintContact), "result_days": strconv.Itoa(cm.ComplaintResultDays),
		"report_days": strconv.Itoa(cm.ReportDays), "suggestion_days": strconv.Itoa(cm.SuggestionDays),
	}
}

// complaintCategory infers the complaint class from the customer's words.
func complaintCategory(s string) string {
	switch {
	case containsAny(s, []string{"态度", "骂", "服务", "推诿", "不理", "工作人员", "客服", "脾气", "刁难", "索要", "吃拿卡要", "不耐烦"}):
		return "service"
	case containsAny(s, []string{"施工", "电杆", "挖", "架线", "变压器", "噪音", "线路改造", "占地", "电线杆", "拉线"}):
		return "grid_construction"
	case containsAny(s, []string{"电压", "闪", "不稳", "低压", "烧坏", "电器坏"}):
		return "power_quality"
	case containsAny(s, []string{"停电", "没电", "断电", "抢修", "来电", "频繁"}):
		return "outage"
	case containsAny(s, []string{"电费", "收费", "多收", "账单", "扣费", "计量", "电表", "表计", "费用", "违约金", "缴费"}):
		return "billing"
	}
	return "service"
}

// ---- bill query with identity check ----

func (c *turn) billNext() {
	f := c.st.Facts
	if c.st.VerifyFails >= c.m.cfg.MaxVerifyFailures {
		c.giveUp("not_verified_end")
		return
	}
	if f["acct"] == "" && !c.findAccount() {
		return
	}
	if c.st.Verified == f["acct"] {
		c.disclose()
		return
	}
	c.ask("verify", nil)
}

// findAccount looks the account up by the number given, or once by the phone; it reports
// whether one was found (Facts acct and by), and otherwise asks for the number again.
func (c *turn) findAccount() bool {
	f := c.st.Facts
	key, by := c.st.Slots[SlotAccount], "account"
	if key == "" && f["phone_tried"] == "" {
		key, by = c.st.Slots[SlotPhone], "phone"
	}
	if key == "" {
		if c.exhausted(SlotAccount) {
			c.giveUp("bill_give_up")
			return false
		}
		c.ask(SlotAccount, nil)
		return false
	}
	a, ok := c.t.World.Account(key)
	if ok {
		f["acct"], f["by"] = a.Account, by
		return true
	}
	if by == "phone" {
		f["phone_tried"] = "1"
	} else {
		delete(c.st.Slots, SlotAccount)
	}
	f["lookups"] += "x"
	if len(f["lookups"]) >= c.m.cfg.MaxAsks {
		c.giveUp("bill_give_up")
		return false
	}
	c.say("bill_not_found", ExpectNone, nil)
	c.ask(SlotAccount, nil)
	return false
}

// checkedAccount returns the account under the identity check; one gone from the records
// meanwhile ends the query with the other ways to ask.
func (c *turn) checkedAccount() (Account, bool) {
	a, ok := c.t.World.Account(c.st.Facts["acct"])
	if !ok {
		c.giveUp("bill_give_up")
	}
	return a, ok
}

// verifyAnswer checks the holder's name or the last four digits of the phone on file;
// an account found by phone can only be verified by name.
func (c *turn) verifyAnswer() {
	a, ok := c.checkedAccount()
	if !ok {
		return
	}
	if c.verifies(a) {
		c.st.Verified = a.Account
		c.disclose()
		return
	}
	c.st.VerifyFails++
	if c.st.VerifyFails >= c.m.cfg.MaxVerifyFailures {
		c.say("verify_failed", ExpectNone, nil)
		c.handoff(PriorityNormal, "verify_failed", false)
		return
	}
	c.say("verify_retry", ExpectNone, map[string]string{"left": strconv.Itoa(c.m.cfg.MaxVerifyFailures - c.st.VerifyFails)})
	c.ask("verify", nil)
}

func (c *turn) verifies(a Account) bool {
	name := strings.TrimSpace(a.Name)
	if len([]rune(name)) >= 2 {
		if strings.Contains(c.text, name) {
			return true
		}
		if e, ok := c.p.First(nlu.EntityName); ok && e.Value == name {
			return true
		}
	}
	if c.st.Facts["by"] == "phone" {
		return false
	}
	d := digits(c.text)
	phone := digits(a.Phone)
	return len(phone) >= 4 && (len(d) == 4 && strings.HasSuffix(phone, d) || d == phone)
}

func (c *turn) disclose() {
	a, ok := c.checkedAccount()
	if !ok {
		return
	}
	tail := a.Account
	if r := []rune(tail); len(r) > 4 {
		tail = string(r[len(r)-4:])
	}
	vars := map[string]string{
		"tail": tail, "balance": money(a.Balance), "arrears": money(a.Arrears),
		"month": a.LastBill.Month, "kwh": strconv.FormatFloat(a.LastBill.KWh, 'f', -1, 64),
		"amount": money(a.LastBill.Amount), "hours": hours(c.m.cfg.Commitments.ArrearsRestore),
	}
	c.say("bill_verified", ExpectNone, vars)
	if a.Meter == "prepaid" {
		c.say("bill_prepaid", ExpectNone, vars)
	}
	if a.Arrears > 0 {
		c.say("bill_arrears", ExpectNone, vars)
	}
	c.met(HowInfo)
}

func money(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// ---- payment and business, answered from knowledge.yaml ----

func (c *turn) knowledgeStart(intent string) {
	c.st.Facts["intent"] = intent
	if e, ok := matchKnowledge(c.m.knowledge, intent, c.text); ok {
		c.knowledgeAnswer(e)
		return
	}
	c.knowledgeNext()
}

func (c *turn) knowledgeNext() {
	if c.exhausted("topic") {
		c.giveUp("knowledge_none")
		return
	}
	c.ask("topic", nil)
	intent := c.st.Facts["intent"]
	var choices []Choice
	for _, e := range c.m.knowledge {
		for _, in := range e.Intents {
			if in == intent {
				choices = append(choices, Choice{Label: e.Title, Value: e.Title})
			}
		}
	}
	if len(choices) > 0 {
		last := c.out[len(c.out)-1].(Say)
		last.Choices = choices
		c.out[len(c.out)-1] = last
	}
}

func (c *turn) knowledgeTopic() {
	if e, ok := matchKnowledge(c.m.knowledge, c.st.Facts["intent"], c.text); ok {
		c.knowledgeAnswer(e)
		return
	}
	c.knowledgeNext()
}

func (c *turn) knowledgeAnswer(e knowledgeEntry) {
	c.emit(Say{Text: strings.TrimSpace(e.Answer)})
	c.met(HowInfo)
}

// ---- ticket status ----

var statusTitles = map[string]string{
	"open": "已受理", "dispatched": "已派工", "on_site": "抢修人员已到达现场",
	"resolved": "已处理", "closed": "已回访归档",
}

func (c *turn) statusNext() {
	f := c.st.Facts
	if id := c.st.Slots[SlotTicketID]; id != "" && f["tried_"+id] == "" {
		if tv, ok := c.t.World.Ticket(id); ok {
			c.statusSay(tv)
			c.met(HowInfo)
			return
		}
		f["tried_"+id] = "1"
		delete(c.st.Slots, SlotTicketID)
		c.say("status_none", ExpectNone, nil)
	} else if ph := c.st.Slots[SlotPhone]; ph != "" && f["phone_tried"] == "" {
		f["phone_tried"] = "1"
		if list := c.t.World.TicketsByPhone(ph); len(list) > 0 {
			for _, tv := range list[:min(len(list), 3)] {
				c.statusSay(tv)
			}
			c.met(HowInfo)
			return
		}
		c.say("status_none", ExpectNone, nil)
	}
	if c.exhausted(SlotTicketID) {
		c.giveUp("status_give_up")
		return
	}
	c.ask(SlotTicketID, nil)
}

func (c *turn) statusSay(tv TicketView) {
	status := statusTitles[tv.Status]
	if status == "" {
		status = "处理中"
	}
	key := "status_item"
	if (tv.Kind == KindRepair || tv.Kind == KindEmergency) && (tv.Status == "open" || tv.Status == "dispatched") {
		key = "status_item_repair"
	}
	c.say(key, ExpectNone, map[string]string{
		"id": tv.ID, "kind": kindTitles[tv.Kind], "status": status, "due": c.clock(tv.Due),
	})
}

// ---- handoff ----

// handoff queues the session for a human. Whether or not an agent is free, a customer who
// would rather not wait can leave a phone for a callback ticket.
func (c *turn) handoff(priority, reason string, agitated bool) {
	c.emit(Handoff{Priority: priority, Reason: reason, Summary: c.st.Summary()})
	c.st.Handed = true
	if agitated {
		c.say("agitation_handoff", ExpectNone, nil)
	} else {
		c.say("handoff_lead", ExpectNone, nil)
	}
	c.st.Dialog = DialogHandoff
	c.st.Facts, c.st.Asked = map[string]string{"reason": reason}, map[string]int{}
	if c.st.Slots[SlotPhone] == "" {
		c.ask("callback_phone", nil)
		return
	}
	if c.t.World.AgentsAvailable() {
		c.st.Dialog, c.st.Step = DialogNone, ""
		c.say("handoff_wait", ExpectNone, nil)
		return
	}
	c.callbackTicket()
}

// agitated soothes, hands over with high priority and keeps what the customer came for in
// Paused, so that a complaint is still recorded when the callback is taken.
func (c *turn) agitated() {
	switch d := c.st.Dialog; {
	case d != DialogNone && d != DialogClosing && d != DialogHandoff:
		c.st.Paused = &Frame{Dialog: d, Facts: c.st.Facts, Intent: c.st.LastIntent}
	case dialogFor(c.p.Intent) != "":
		c.st.Paused = &Frame{Dialog: dialogFor(c.p.Intent), Intent: c.p.Intent, Facts: map[string]string{
			"kind": intakeKind(c.p.Intent), "report": c.p.Text, "detail": c.p.Text}}
	}
	c.say("soothe", ExpectNone, nil)
	c.handoff(PriorityHigh, "agitation", true)
}

func (c *turn) callbackAnswer() {
	c.takePhone()
	if c.st.Slots[SlotPhone] != "" {
		c.callbackTicket()
		return
	}
	if c.st.Facts["skip_phone"] != "" || c.exhausted("callback_phone") {
		c.say("handoff_declined", ExpectNone, nil)
		c.st.Dialog, c.st.Step = DialogNone, ""
		return
	}
	c.ask("callback_phone", nil)
}

// callbackTicket records the callback and, for an upset complainant, the complaint too.
// Each ticket is announced right after it is created, because the runtime fills
// {ticket_id} and {due} from the latest ticket of the step.
func (c *turn) callbackTicket() {
	c.emit(CreateTicket{Kind: KindCallback, Fields: c.fields(map[string]string{
		"reason": c.st.Facts["reason"], "summary": c.st.Summary(),
	})})
	c.say("callback_done", ExpectNone, nil)
	if p := c.st.Paused; p != nil && p.Dialog == DialogIntake && p.Facts["kind"] == KindComplaint {
		// an upset complainant is called back by a human, and the complaint itself is on record
		detail := p.Facts["detail"]
		if detail == "" {
			detail = p.Facts["report"]
		}
		c.emit(CreateTicket{Kind: KindComplaint, Fields: c.fields(map[string]string{
			"detail": detail, "category": complaintCategory(p.Facts["report"] + " " + detail), "priority": PriorityHigh,
		})})
		c.say("complaint_recorded", ExpectNone, c.deadlineVars())
	}
	c.st.Paused = nil
	c.st.Dialog, c.st.Step = DialogNone, ""
}

func (c *turn) offerHumanAnswer() {
	switch c.st.Facts["offer_human"] {
	case "yes":
		c.handoff(PriorityNormal, "not_understood", false)
	case "no":
		c.st.Misses = 0
		c.st.Dialog, c.st.Step = DialogNone, "menu"
		c.say("ask.menu", ExpectMenu, nil)
	default:
		c.st.Dialog, c.st.Step = DialogNone, "menu"
		if dialogFor(c.p.Intent) != "" && c.p.Confidence >= c.m.cfg.MinConfidence {
			c.menu()
			return
		}
		c.handoff(PriorityNormal, "not_understood", false)
	}
}

// emptyWorld stands in when the runtime passes no World: nothing is known, nobody is free.
type emptyWorld struct{}

func (emptyWorld) Outages(string, time.Time, time.Duration) []Outage { return nil }
func (emptyWorld) Account(string) (Account, bool)                    { return Account{}, false }
func (emptyWorld) Ticket(string) (TicketView, bool)                  { return TicketView{}, false }
func (emptyWorld) TicketsByPhone(string) []TicketView                { return nil }
func (emptyWorld) AgentsAvailable() bool                             { return false }
