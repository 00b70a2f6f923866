package dialogs

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"dianbao/nlu"
)

// absorb stores every entity of the utterance, whatever was asked: a customer who gives
// the address while describing the fault is never asked for it again.
func (c *turn) absorb() {
	for _, e := range c.p.Entities {
		v := strings.TrimSpace(e.Value)
		if v == "" {
			continue
		}
		switch e.Type {
		case nlu.EntityPhone:
			if d := digits(v); len(d) >= 7 {
				c.st.Slots[SlotPhone] = d
			}
		case nlu.EntityAccount:
			if d := digits(v); d != "" {
				c.st.Slots[SlotAccount] = d
			}
		case nlu.EntityTicketID:
			c.st.Slots[SlotTicketID] = strings.ToUpper(v)
		case nlu.EntityAddress:
			c.absorbAddress(v)
		case nlu.EntityName:
			if c.plausibleName(v) {
				c.st.Slots[SlotName] = v
			}
		case nlu.EntityScope:
			if v == nlu.ScopeSelf && c.st.Step != "scope" && scopeOf(c.scopeText(), false) != nlu.ScopeSelf {
				// a bare 我家没电了 does not say whether the neighbours have power: ask
				continue
			}
			if v == nlu.ScopeSelf || v == nlu.ScopeBuilding || v == nlu.ScopeArea {
				c.st.Slots[SlotScope] = v
			}
		}
	}
}

// absorbAddress keeps an address entity: at the address question it is the answer; said
// elsewhere it must look like a place, and a fragment (18号3单元) continues the known one.
func (c *turn) absorbAddress(v string) {
	old := c.st.Slots[SlotAddress]
	switch c.st.Step {
	case "address":
		c.st.Slots[SlotAddress] = v
	case "address_more":
		c.st.Slots[SlotAddress] = mergeAddress(c.st.Facts["addr_before"], v)
	case "correct":
		c.st.Slots[SlotAddress] = v
	default:
		if !plausibleAddress(v) || !namesPlace(v) {
			return
		}
		if old != "" && addressFragment(v) {
			c.st.Slots[SlotAddress] = mergeAddress(old, v)
			return
		}
		if old != "" && !strings.Contains(v, old) && len([]rune(v)) <= len([]rune(old)) {
			return // a place named in passing does not replace the address the customer gave
		}
		c.st.Slots[SlotAddress] = v
	}
}

// Yes/no readings.
const (
	ynUnknown = iota
	ynYes
	ynNo
	ynDontKnow
)

var (
	dontKnowWords = []string{"不知道", "不清楚", "看不懂", "不懂", "不会看", "找不到", "不确定", "不太清楚", "不晓得", "不了解", "怎么看", "哪里看", "在哪",
		"你说啥", "说的啥", "说什么", "什么意思", "啥意思", "没听懂", "没听清", "听不清", "没明白", "不明白", "再说一遍", "再说一次", "重复一下", "搞不懂", "弄不懂", "不会弄", "晓不得", "不记得", "记不清", "忘了"}
	noWords        = []string{"没有", "没", "不是", "不对", "不用", "不要", "不行", "否", "错了", "不需要", "没得", "冇"}
	yesWords       = []string{"是", "对", "嗯", "好", "行", "可以", "有", "跳了", "亮了", "来电", "正确", "需要", "要", "ok", "OK"}
	yesStrongWords = []string{"没问题", "没错", "不错", "对的", "正确", "是的", "要得", "电来了", "来电了", "有电了", "灯亮了", "亮了", "好了", "恢复了"}
	strongNoWords  = []string{"没跳", "没有跳", "莫得跳", "没得跳", "冇跳", "没掉", "没有掉", "好好的", "没断", "没有断", "没烧", "没有烧", "不是插卡", "不是预付", "莫得", "冇", "还是黑", "还是没电", "还是不行", "没来电", "不亮"}
	tripAgainWords = []string{"又跳", "还跳", "一合就跳", "一推就跳", "推不上", "合不上", "还是跳", "马上跳", "立刻跳", "一合上就跳",
		"就跳", "立马跳", "又掉下", "马上又掉", "立马又掉", "就掉下", "一推就掉", "一合就掉", "还是掉", "扳不上", "挂不住", "合不住"}
	// selfArrangeWords decline the paid electrician: the customer brings their own.
	selfArrangeWords = []string{"自己找", "自己请", "自己联系", "自己叫", "自己修", "自己弄", "自己看", "我自己来", "认识电工",
		"认识的电工", "有电工", "是电工", "熟人", "找人修", "找人看", "不麻烦你们", "不麻烦了"}
)

// yesNo reads a yes/no answer: "不知道" first (it must not pass for a no), then the
// parser's polarity, then the affirm/deny intents, then plain words.
func (c *turn) yesNo() int {
	if isDontKnow(c.text) {
		return ynDontKnow
	}
	// Plain statements of "nothing wrong" and dialect negations beat a polarity reading
	// that was fooled by the word 跳 or 电 in them.
	if containsAny(c.text, strongNoWords) {
		return ynNo
	}
	if c.st.Step == "prepaid" && containsAny(c.text, postpaidWords) {
		return ynNo
	}
	if c.st.Step == "electrician" && containsAny(c.text, selfArrangeWords) {
		return ynNo
	}
	switch c.p.Polarity {
	case nlu.PolarityYes:
		return ynYes
	case nlu.PolarityNo:
		return ynNo
	}
	switch c.p.Intent {
	case nlu.IntentAffirm:
		return ynYes
	case nlu.IntentDeny:
		return ynNo
	}
	if containsAny(c.text, yesStrongWords) {
		return ynYes
	}
	if containsAny(c.text, noWords) {
		return ynNo
	}
	if containsAny(c.text, yesWords) {
		return ynYes
	}
	return ynUnknown
}

func isDontKnow(s string) bool { return containsAny(s, dontKnowWords) }

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

var (
	scopeSelfStrong = []string{"对门有电", "邻居有电", "邻居家有电", "别人家有电", "别人家都有电", "隔壁有电", "楼道有电", "楼道灯亮", "只有我家", "就我家", "只有我们家", "就我们家", "只是我家", "只有我一家", "就我一家", "自己家", "单独我家", "邻居都有电", "别家有电"}
	scopeArea       = []string{"小区", "整个村", "全村", "村里", "整片", "一片", "整条街", "这一带", "附近都", "周围都", "邻居都", "邻居家也", "都停", "都没电", "大面积", "片区", "整个镇", "整条路"}
	scopeBuilding   = []string{"整栋", "整幢", "楼里", "整个单元", "全单元", "单元都", "整个楼", "全楼", "这栋楼", "楼上楼下", "整座楼", "一栋楼", "这幢"}
	scopeSelfWeak   = []string{"我家", "我们家", "家里", "我一家", "自己", "就我", "只有我", "一家"}
)

// scopeText is the utterance without its address: 3单元 or 阳光小区 in an address says
// nothing about how far the outage reaches.
func (c *turn) scopeText() string {
	t := c.text
	for _, e := range c.p.Entities {
		if e.Type == nlu.EntityAddress && e.Value != "" {
			t = strings.ReplaceAll(t, e.Value, "，")
		}
	}
	if a := c.st.Slots[SlotAddress]; len([]rune(a)) >= 3 {
		t = strings.ReplaceAll(t, a, "，")
	}
	return t
}

var addressPieceRe = regexp.MustCompile(`^(?:[0-9一二三四五六七八九十]+(?:号楼|号院|号|栋|幢|单元|楼|层|室|组))+$`)

// scopeOf reads the outage range from plain words; weak also accepts a bare "我家",
// which only answers the scope question and does not settle it in a first report.
func scopeOf(s string, weak bool) string {
	if containsAny(s, scopeSelfStrong) {
		return nlu.ScopeSelf
	}
	if n := neighbourScope(s); n != "" {
		return n
	}
	switch {
	case containsAny(s, scopeArea):
		return nlu.ScopeArea
	case containsAny(s, scopeBuilding):
		return nlu.ScopeBuilding
	case weak && containsAny(s, scopeSelfWeak):
		return nlu.ScopeSelf
	}
	return ""
}

// rating reads a satisfaction answer: the rating entity, else the usual words, else a
// lone digit 1–5.
func (c *turn) rating() int {
	if e, ok := c.p.First(nlu.EntityRating); ok {
		if n, err := strconv.Atoi(e.Value); err == nil && n >= 1 && n <= 5 {
			return n
		}
	}
	t := c.text
	switch {
	case strings.Contains(t, "非常不满意") || strings.Contains(t, "很不满意") || strings.Contains(t, "太差"):
		return 1
	case strings.Contains(t, "不满意") || strings.Contains(t, "不太满意") || strings.Contains(t, "差"):
		return 2
	case strings.Contains(t, "非常满意") || strings.Contains(t, "很满意") || strings.Contains(t, "特别满意") || strings.Contains(t, "十分满意"):
		return 5
	case containsAny(t, []string{"一般", "还行", "还可以", "凑合", "马马虎虎", "过得去"}):
		return 3
	case containsAny(t, []string{"满意", "不错", "挺好", "很好", "好的"}):
		return 4
	}
	if d := digits(t); len(d) == 1 && d[0] >= '1' && d[0] <= '5' {
		return int(d[0] - '0')
	}
	return 0
}

// digits keeps the ASCII digits of s (the parser already turned spoken and full-width
// digits into ASCII in the normalised text).
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune('0' + (r - '０'))
		}
	}
	return b.String()
}

var addressPrefixes = []string{"我家住在", "我家在", "我住在", "地址是", "地址在", "地址", "住在", "我在", "在", "是"}

// takeAddress accepts the address entity or, failing that, the reply itself when it reads
// like a place rather than a refusal.
func (c *turn) takeAddress() {
	if e, ok := c.p.First(nlu.EntityAddress); ok {
		// keep the whole reply when the entity is most of it (路口, 门口 and the like)
		s := strings.TrimSpace(c.text)
		if !strings.Contains(s, e.Value) || len([]rune(s)) > len([]rune(e.Value))+6 {
			return
		}
	}
	s, ok := c.addressReply()
	if n := len([]rune(s)); ok && n >= 3 && n <= 60 && hasHan(s) {
		c.st.Slots[SlotAddress] = s
	}
}

// addressReply is the place a reply to an address question names, without 我家住在 and
// the like; ok is false for a refusal, a 不知道, or a 谢谢你 / 你好 that names no place.
func (c *turn) addressReply() (string, bool) {
	s := strings.TrimSpace(c.text)
	if isDontKnow(s) || c.yesNo() == ynNo && len([]rune(s)) < 5 {
		return "", false
	}
	switch c.p.Intent {
	case nlu.IntentThanks, nlu.IntentGreet, nlu.IntentGoodbye, nlu.IntentAffirm, nlu.IntentPraise, nlu.IntentHumanAgent:
		if !namesPlace(s) {
			return "", false
		}
	}
	for _, p := range addressPrefixes {
		if strings.HasPrefix(s, p) {
			s = strings.TrimPrefix(s, p)
			break
		}
	}
	return strings.TrimRight(s, "。.,，!！ "), true
}

var namePrefixes = []string{"免贵姓", "我姓", "我叫", "我是", "姓", "叫"}

// plausibleName rejects a name entity that is really a place: in 我是石桥镇李家村的 the
// caller says where they live, not who they are, and 石桥镇 is no way to address them.
func (c *turn) plausibleName(v string) bool {
	r := []rune(v)
	if len(r) >= 2 {
		for _, e := range c.p.Entities {
			if e.Type == nlu.EntityAddress && strings.Contains(e.Value, v) {
				return false
			}
		}
		if strings.Contains(c.st.Slots[SlotAddress], v) {
			return false
		}
		if strings.ContainsRune("镇村乡县市区街组号屯路巷楼栋", r[len(r)-1]) {
			return false
		}
	}
	return true
}

// takeName accepts the name entity or a short reply such as 姓刘 / 刘明.
func (c *turn) takeName() {
	if e, ok := c.p.First(nlu.EntityName); ok && c.plausibleName(e.Value) {
		return
	}
	s := strings.TrimSpace(c.text)
	if isDontKnow(s) || c.yesNo() == ynNo && !strings.ContainsAny(s, "0123456789") {
		if c.yesNo() == ynNo {
			c.st.Facts["skip_name"] = "1"
		}
		return
	}
	// "王建国，13912345678": the name is the first piece without digits
	s = firstNamePiece(s)
	for _, p := range namePrefixes {
		if strings.HasPrefix(s, p) {
			s = strings.TrimPrefix(s, p)
			break
		}
	}
	for _, suf := range []string{"先生", "女士", "小姐", "师傅", "的", "。", "，"} {
		s = strings.TrimSuffix(s, suf)
	}
	if n := len([]rune(s)); n >= 1 && n <= 4 && hasHan(s) {
		c.st.Slots[SlotName] = s
	}
}

// firstNamePiece returns the first comma- or space-separated piece of a reply that holds
// no digits and no address words, so a name given with a phone is still read.
func firstNamePiece(s string) string {
	pieces := strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune("，,。.；;、 　!！", r) || r >= '0' && r <= '9'
	})
	for _, p := range pieces {
		p = strings.TrimSpace(p)
		for _, w := range []string{"电话是", "电话", "手机号是", "手机号", "手机", "号码是", "号码"} {
			p = strings.TrimSuffix(p, w)
		}
		if p != "" && hasHan(p) && !containsAny(p, []string{"路", "街", "号", "栋", "村", "小区", "单元"}) {
			return p
		}
	}
	return ""
}

var phoneRe = regexp.MustCompile(`\d{7,12}`)

// takePhone accepts the phone entity or a run of 7 to 12 digits; a refusal skips it.
func (c *turn) takePhone() {
	if c.st.Slots[SlotPhone] != "" {
		if _, ok := c.p.First(nlu.EntityPhone); ok {
			return
		}
	}
	if m := phoneRe.FindString(digits(c.text)); m != "" {
		c.st.Slots[SlotPhone] = m
		return
	}
	if c.yesNo() == ynNo && !strings.ContainsAny(c.text, "0123456789") {
		c.st.Facts["skip_phone"] = "1"
	}
}

// takeDetail records a free description; an empty or 不知道 reply is not a detail.
func (c *turn) takeDetail() {
	s := strings.TrimSpace(c.p.Text)
	if s == "" || isDontKnow(s) && len([]rune(s)) < 8 {
		return
	}
	if d := c.st.Facts["detail"]; d != "" {
		s = d + "；" + s
	}
	c.st.Facts["detail"] = s
	c.st.Facts["detail_given"] = "1"
}

var ticketRe = regexp.MustCompile(`[A-Za-z]{1,4}-?\d{4,}[A-Za-z0-9-]*`)

// takeTicketID accepts the ticket entity, an id-looking token, or a phone to search by.
func (c *turn) takeTicketID() {
	if _, ok := c.p.First(nlu.EntityTicketID); ok {
		return
	}
	if m := ticketRe.FindString(c.text); m != "" {
		c.st.Slots[SlotTicketID] = strings.ToUpper(m)
		return
	}
	if m := phoneRe.FindString(digits(c.text)); len(m) == 11 {
		c.st.Slots[SlotPhone] = m
		c.st.Facts["status_by_phone"] = "1"
	}
}

// correct takes a correction after "信息有误": new entities replace the old ones; a named
// field without a value is cleared so that it is asked again.
func (c *turn) correct() {
	changed := len(c.p.Entities) > 0
	if m := phoneRe.FindString(digits(c.text)); m != "" {
		c.st.Slots[SlotPhone] = m
		changed = true
	}
	if !changed {
		switch {
		case strings.Contains(c.text, "地址") || strings.Contains(c.text, "地点"):
			delete(c.st.Slots, SlotAddress)
			c.st.Asked["address"] = 0
		case strings.Contains(c.text, "电话") || strings.Contains(c.text, "号码") || strings.Contains(c.text, "手机"):
			delete(c.st.Slots, SlotPhone)
			c.st.Asked["phone"] = 0
		case strings.Contains(c.text, "名") || strings.Contains(c.text, "姓"):
			delete(c.st.Slots, SlotName)
			c.st.Asked["name"] = 0
		case c.yesNo() == ynYes || c.yesNo() == ynNo && len([]rune(c.text)) <= 4:
			// "没问题" / "都对": nothing to change
		default:
			c.takeAddress()
		}
	}
	c.st.Asked["confirm"] = 0
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// areaClass classifies an address for the arrival commitment.
func (m *Machine) areaClass(address string) string {
	switch {
	case containsAny(address, m.cfg.RemoteMarkers):
		return AreaRemote
	case containsAny(address, m.cfg.RuralMarkers):
		return AreaRural
	}
	return AreaUrban
}
