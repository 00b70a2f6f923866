package nlu

import "strings"

// Phrase rules run beside the classifier only where a miss is costly: danger to life and a
// customer who asks for a person. Each rule is a phrase that is not negated just before it.

var safetyPhrases = []string{
	"电线断了", "电线断", "线断了", "掉地上", "掉在地上", "掉到地上", "落地", "垂到地上", "冒烟", "着火",
	"起火", "失火", "打火", "冒火花", "火花", "触电", "电到人", "被电到", "电死", "电伤",
	"电线杆倒", "线杆倒", "电杆倒", "杆子倒", "电线杆歪", "电线杆快倒", "烧起来", "爆炸",
	"变压器响", "变压器冒", "变压器着", "漏电伤人", "电线掉", "电线耷拉", "高压线断", "高压线掉",
}

// safetyExclusions contain a safety phrase but are not danger.
var safetyExclusions = []string{"打火机", "火花塞", "炸鸡", "火锅", "没有冒烟", "没冒烟", "没有着火", "没着火", "没有打火",
	"没打火", "没有触电", "网线", "耳机线", "数据线", "充电线", "电话线", "宽带线", "光纤", "信号线", "电视线", "有线电视", "晾衣绳", "绳子断", "鞋带", "琴弦", "鱼线", "风筝线", "打不着火", "点不着火", "不着火", "落地窗", "落地灯",
	"落地扇", "落地镜", "着火点"}

var humanPhrases = []string{
	"转人工", "人工客服", "人工服务", "找真人", "真人客服", "要人工", "找人工", "转接人工", "人工坐席",
	"接人工", "叫人工", "人工接听", "不想跟机器人", "不要机器人", "不和机器人", "不跟机器人", "跟机器人说不清",
	"和机器人说不清", "转客服", "话务员", "接线员", "真人", "人工台", "转接客服",
}

// blank replaces every occurrence of the exclusions in s by underscores, one per rune, so rune
// offsets stay the same.
func blank(s string, exclusions []string) string {
	for _, ex := range exclusions {
		if strings.Contains(s, ex) {
			s = strings.ReplaceAll(s, ex, strings.Repeat("_", runeLen(ex)))
		}
	}
	return s
}

var negators = []string{"不要", "不用", "没有", "没", "不", "别", "无"}

// findPhrase returns the rune offset of the first phrase found in s that is not directly negated
// (不要转人工) and not part of an exclusion, or -1.
func findPhrase(s string, phrases, exclusions []string) (int, int) {
	s = blank(s, exclusions)
	best, bestLen := -1, 0
	for _, p := range phrases {
		i := strings.Index(s, p)
		if i < 0 {
			continue
		}
		before := s[:i]
		negated := false
		for _, n := range negators {
			if strings.HasSuffix(before, n) {
				negated = true
				break
			}
		}
		if negated {
			continue
		}
		ri := runeLen(before)
		if best < 0 || ri < best {
			best, bestLen = ri, runeLen(p)
		}
	}
	return best, bestLen
}

// Polarity lexicon. Longer phrases are tried first so 没问题 (yes) wins over 没 (no).
var yesWords = []string{
	"是的", "是啊", "是呀", "是滴", "对的", "对头", "对啊", "对呀", "没错", "没问题", "要得", "好的", "好嘞",
	"好滴", "可以", "行的", "行啊", "跳了", "亮了", "来电了", "有电了", "恢复了", "好了", "嗯嗯", "嗯", "恩",
	"对", "是", "好", "行", "中", "ok", "yes", "需要", "要的", "有的", "确认", "同意", "当然", "肯定",
	"掉了", "断了", "烧了", "跳闸了", "推上去了", "合上了", "正确", "没毛病", "成",
	// power is back (the answer to "restored?")
	"电来了", "电来啦", "来电啦", "灯亮了", "灯亮啦", "有电啦", "恢复供电了", "通电了", "又有电了", "已经好了",
	"就好了", "弄好了", "修好了",
	// "no problem" in its dialect forms is a yes, not a 没 / 没有
	"没有问题", "没得问题", "莫得问题", "没啥问题", "没什么问题", "没得事", "莫得事",
}

var noWords = []string{
	"没有跳闸", "没跳闸", "没有跳", "没跳", "不是的", "不是", "没有的", "没有", "没得", "冇", "不用",
	"不需要", "不要", "不对", "不行", "不可以", "不亮", "没亮", "还是没电", "还没电", "没来电", "没恢复",
	"没好", "不好使", "否", "没", "不", "no", "算了", "无", "不必", "别",
	// dialect negations (莫得 = 没有 in the south-west, 木有 online)
	"莫得", "莫有", "木有", "没得跳", "莫得跳", "还是没有电", "还是黑的", "还是不亮", "依然没电", "仍然没电",
}

// weakYes words say yes only as a whole answer; inside a sentence (可以帮我查一下吗, 推上去了
// 还是没电) they don't.
var weakYes = map[string]bool{"可以": true, "需要": true, "肯定": true, "当然": true, "好了": true, "确认": true,
	"同意": true, "有的": true, "推上去了": true, "合上了": true}

// pureFillers may surround a yes or no without changing it (嗯嗯好的呀).
var pureFillers = []string{"啊", "呀", "吧", "呢", "哦", "噢", "嘛", "的", "了", "啦", "哈", "喔", "呗", "嘞", "滴", "哟", "咯", "诶", "哎", "唉", "嗯", "呃"}

// genericYes and genericNo are the words that are a bare answer (affirm / deny intent);
// 跳了 or 亮了 answer yes too but keep the classifier's intent.
var genericYes = map[string]bool{"是的": true, "是啊": true, "是呀": true, "是滴": true, "对的": true, "对头": true,
	"对啊": true, "对呀": true, "没错": true, "没问题": true, "要得": true, "好的": true, "好嘞": true, "好滴": true,
	"可以": true, "行的": true, "行啊": true, "嗯嗯": true, "嗯": true, "恩": true, "对": true, "是": true, "好": true,
	"行": true, "中": true, "ok": true, "yes": true, "需要": true, "要的": true, "有的": true, "确认": true,
	"同意": true, "当然": true, "肯定": true, "正确": true, "没毛病": true, "成": true,
	"电来了": true, "电来啦": true, "来电了": true, "来电啦": true, "有电了": true, "有电啦": true, "灯亮了": true,
	"灯亮啦": true, "没有问题": true, "没得问题": true, "莫得问题": true, "没啥问题": true, "没什么问题": true,
	"恢复供电了": true, "通电了": true, "又有电了": true, "已经好了": true, "恢复了": true}

var genericNo = map[string]bool{"不是的": true, "不是": true, "没有的": true, "没有": true, "没得": true, "冇": true,
	"不用": true, "不需要": true, "不要": true, "不对": true, "不行": true, "不可以": true, "否": true, "没": true,
	"不": true, "no": true, "算了": true, "不必": true, "别": true, "莫得": true, "莫有": true, "木有": true}

// Negation scope: a negator directly before one of these verbs (没跳, 莫得烧, 不亮, 未恢复)
// says no, whatever else the verb would say.
var (
	negatorWords = []string{"没有", "没得", "莫得", "莫有", "木有", "没", "未", "不", "无"}
	negatedVerbs = []string{"跳", "掉", "断", "烧", "坏", "亮", "来电", "来", "恢复", "有电", "通电", "熔",
		"动", "响", "冒", "推上", "合上", "拉闸", "欠费", "欠", "插卡", "反应", "变化"}
)

// Devices the self-check asks about, and the words that say such a device is fine: 总闸好好的
// answers "tripped?" with no.
var (
	deviceWords = []string{"空气开关", "漏电保护器", "漏电开关", "断路器", "闸刀", "总闸", "电闸", "空开", "漏保", "开关",
		"保险丝", "保险", "熔丝", "插卡表", "电表", "闸"}
	deviceFine = []string{"好好的", "好着的", "好着呢", "好着", "正常", "没问题", "没事", "没毛病", "完好", "是好的",
		"在上面", "在上边", "往上的", "往上", "朝上的", "朝上", "合着的", "合着", "推着的", "开着的", "没动", "没坏", "没有坏",
		"没变化", "好的"}
	// stillOff says the power is still not back: 还是黑的 answers "restored?" with no.
	stillOff = []string{"还是黑的", "还是黑", "还是没有电", "还是没电", "还没有电", "还没电", "还是不亮", "依然没电", "仍然没电",
		"还是不行", "还是一样"}
)

// answerKind says how much of an utterance is a yes/no answer.
type answerKind int

const (
	// answerNone: a sentence that may carry a polarity among other content.
	answerNone answerKind = iota
	// answerPure: nothing but generic yes/no words and fillers (是的 / 没有啊).
	answerPure
	// answerState: nothing but the state of the thing asked about (没跳闸 / 总闸好好的,没跳).
	answerState
	// answerLead: a bare yes or no first, then something else (可以,你们派人来吧).
	answerLead
)

// polarity reads a yes/no answer from simplified, lower-cased text and reports how much of the
// utterance is that answer (a pure or state answer makes the intent affirm or deny).
func polarity(ix answerIndex, s string) (string, answerKind) {
	clauses := splitClauses(strings.ToLower(s))
	if len(clauses) == 0 {
		return PolarityNone, answerNone
	}
	core := strings.Join(clauses, "")
	// Pure answer: the core is a sequence of lexicon words and fillers only.
	if p, ok := pureAnswer(ix, core); ok {
		return p, answerPure
	}
	// Questions such as 是不是 / 有没有 / 欠没欠费 carry no answer.
	if isQuestion(core) {
		return PolarityNone, answerNone
	}
	// A state answer: every clause is a bare no or says the device is fine / the verb negated.
	state := true
	for _, c := range clauses {
		if p, ok := pureAnswer(ix, c); ok && p == PolarityNo {
			continue
		}
		if !stateNo(c) {
			state = false
			break
		}
	}
	if state {
		return PolarityNo, answerState
	}
	// A longer sentence: the first clause with a marker decides; in it, the first marker.
	for _, c := range clauses {
		if p, ok := pureAnswer(ix, c); ok { // 对,13912345678: a clause that is a bare answer
			if c == clauses[0] {
				return p, answerLead
			}
			return p, answerNone
		}
		if p := clausePolarity(ix, c); p != PolarityNone {
			return p, answerNone
		}
	}
	return PolarityNone, answerNone
}

// isQuestion spots a question: 吗, 是否, or the A-not-A form (是不是, 欠没欠费, 可不可以).
func isQuestion(core string) bool {
	if strings.Contains(core, "吗") || strings.Contains(core, "是否") {
		return true
	}
	rs := []rune(core)
	for i := 0; i+2 < len(rs); i++ {
		if (rs[i+1] == '不' || rs[i+1] == '没') && rs[i] == rs[i+2] && rs[i] != rs[i+1] && isHan(rs[i]) {
			return true
		}
	}
	return false
}

// splitClauses cuts at punctuation and spaces and keeps only letters, digits and Han.
func splitClauses(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		if isHan(r) || isASCIILetter(r) || isASCIIDigit(r) {
			b.WriteRune(r)
		} else {
			flush()
		}
	}
	flush()
	return out
}

// stateNo reports whether a clause is only a device reported as fine (总闸好好的) or a negated
// verb (没跳闸, 莫得跳), with fillers and an optional device or subject around it.
func stateNo(c string) bool {
	rest := c
	if d := prefixOf(rest, deviceWords); d != "" {
		rest = strings.TrimPrefix(rest[len(d):], "是")
		rest = strings.TrimPrefix(rest, "也")
		rest = strings.TrimPrefix(rest, "都")
		if f := prefixOf(rest, deviceFine); f != "" {
			return onlyFillers(rest[len(f):])
		}
	}
	if f := prefixOf(rest, stillOff); f != "" {
		return onlyFillers(rest[len(f):])
	}
	rest = strings.TrimPrefix(rest, "也")
	rest = strings.TrimPrefix(rest, "都")
	rest = strings.TrimPrefix(rest, "还")
	n := prefixOf(rest, negatorWords)
	if n == "" {
		return false
	}
	rest = strings.TrimPrefix(rest[len(n):], "有")
	v := prefixOf(rest, negatedVerbs)
	if v == "" {
		return false
	}
	rest = rest[len(v):]
	// the verb's own object or complement: 没跳闸, 没烧断, 没掉下来
	for _, tail := range []string{"闸", "断", "下来", "下去", "过", "掉"} {
		rest = strings.TrimPrefix(rest, tail)
	}
	return onlyFillers(rest)
}

func onlyFillers(s string) bool {
	for s != "" {
		f := prefixOf(s, pureFillers)
		if f == "" {
			return false
		}
		s = s[len(f):]
	}
	return true
}

// clausePolarity finds the first yes/no marker of a clause: a device reported fine or a negated
// verb says no; otherwise the longest lexicon word at the first position that has one.
func clausePolarity(ix answerIndex, c string) string {
	for i := range c {
		rest := c[i:]
		if d := prefixOf(rest, deviceWords); d != "" {
			after := strings.TrimPrefix(strings.TrimPrefix(rest[len(d):], "是"), "也")
			if prefixOf(after, deviceFine) != "" {
				return PolarityNo
			}
		}
		if n := prefixOf(rest, negatorWords); n != "" {
			after := strings.TrimPrefix(rest[len(n):], "有")
			if prefixOf(after, negatedVerbs) != "" {
				return PolarityNo
			}
		}
		aw, ok := ix.longest(rest, false)
		if !ok || runeLen(aw.word) < 2 || aw.weak {
			continue
		}
		return aw.pol
	}
	return PolarityNone
}

func pureAnswer(ix answerIndex, core string) (string, bool) {
	if runeLen(core) > 8 {
		return "", false
	}
	pol, sawEn := "", false
	for rest := core; rest != ""; {
		aw, ok := ix.longest(rest, true)
		w, p := aw.word, aw.pol
		if ok {
			rest = rest[len(w):]
			if w == "嗯" || w == "恩" {
				sawEn = true
				continue
			}
			if pol != "" && pol != p {
				return "", false
			}
			pol = p
			continue
		}
		matched := false
		for _, f := range pureFillers {
			if strings.HasPrefix(rest, f) {
				rest = rest[len(f):]
				matched = true
				break
			}
		}
		if !matched {
			return "", false
		}
	}
	if pol == "" && sawEn {
		pol = PolarityYes
	}
	return pol, pol != ""
}

// answerIndex maps a first rune to the yes/no lexicon words starting with it.
type answerIndex map[rune][]answerWord

type answerWord struct {
	word, pol     string
	generic, weak bool
}

func newAnswerIndex() answerIndex {
	ix := answerIndex{}
	add := func(words []string, pol string, generic map[string]bool) {
		for _, w := range words {
			r := []rune(w)[0]
			ix[r] = append(ix[r], answerWord{w, pol, generic[w], weakYes[w]})
		}
	}
	add(yesWords, PolarityYes, genericYes)
	add(noWords, PolarityNo, genericNo)
	return ix
}

// longest finds the longest lexicon word at the start of s (only bare-answer words when
// generic is set).
func (ix answerIndex) longest(s string, generic bool) (answerWord, bool) {
	var best answerWord
	found := false
	for _, r := range s {
		for _, w := range ix[r] {
			if len(w.word) > len(best.word) && strings.HasPrefix(s, w.word) && (!generic || w.generic) {
				best, found = w, true
			}
		}
		break
	}
	return best, found
}
