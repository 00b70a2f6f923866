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
	"没打火", "没有触电", "网线", "耳机线", "数据线", "充电线", "电话线", "打不着火", "点不着火", "不着火", "落地窗", "落地灯",
	"落地扇", "落地镜", "着火点"}

var humanPhrases = []string{
	"转人工", "人工客服", "人工服务", "找真人", "真人客服", "要人工", "找人工", "转接人工", "人工坐席",
	"接人工", "叫人工", "人工接听", "不想跟机器人", "不要机器人", "不和机器人", "不跟机器人", "跟机器人说不清",
	"和机器人说不清", "转客服", "话务员", "接线员", "真人", "人工台", "转接客服",
}

var negators = []string{"不要", "不用", "没有", "没", "不", "别", "无"}

// findPhrase returns the rune offset of the first phrase found in s that is not directly negated
// (不要转人工) and not part of an exclusion, or -1.
func findPhrase(s string, phrases, exclusions []string) (int, int) {
	for _, ex := range exclusions {
		if strings.Contains(s, ex) {
			s = strings.ReplaceAll(s, ex, strings.Repeat("_", runeLen(ex)))
		}
	}
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
}

var noWords = []string{
	"没有跳闸", "没跳闸", "没有跳", "没跳", "不是的", "不是", "没有的", "没有", "没得", "冇", "不用",
	"不需要", "不要", "不对", "不行", "不可以", "不亮", "没亮", "还是没电", "还没电", "没来电", "没恢复",
	"没好", "不好使", "否", "没", "不", "no", "算了", "无", "不必", "别",
}

// weakYes words say yes only as a whole answer; inside a sentence (可以帮我查一下吗) they don't.
var weakYes = map[string]bool{"可以": true, "需要": true, "肯定": true, "当然": true, "好了": true, "确认": true, "同意": true, "有的": true}

// pureFillers may surround a yes or no without changing it (嗯嗯好的呀).
var pureFillers = []string{"啊", "呀", "吧", "呢", "哦", "噢", "嘛", "的", "了", "啦", "哈", "喔", "呗", "嘞", "滴", "哟", "咯", "诶", "哎", "唉", "嗯", "呃"}

// genericYes and genericNo are the words that are a bare answer (affirm / deny intent);
// 跳了 or 亮了 answer yes too but keep the classifier's intent.
var genericYes = map[string]bool{"是的": true, "是啊": true, "是呀": true, "是滴": true, "对的": true, "对头": true,
	"对啊": true, "对呀": true, "没错": true, "没问题": true, "要得": true, "好的": true, "好嘞": true, "好滴": true,
	"可以": true, "行的": true, "行啊": true, "嗯嗯": true, "嗯": true, "恩": true, "对": true, "是": true, "好": true,
	"行": true, "中": true, "ok": true, "yes": true, "需要": true, "要的": true, "有的": true, "确认": true,
	"同意": true, "当然": true, "肯定": true, "正确": true, "没毛病": true, "成": true}

var genericNo = map[string]bool{"不是的": true, "不是": true, "没有的": true, "没有": true, "没得": true, "冇": true,
	"不用": true, "不需要": true, "不要": true, "不对": true, "不行": true, "不可以": true, "否": true, "没": true,
	"不": true, "no": true, "算了": true, "不必": true, "别": true}

// polarity reads a yes/no answer from simplified, lower-cased text and reports whether the
// utterance is nothing but a generic yes or no (then its intent is affirm or deny).
func polarity(ix answerIndex, s string) (pol string, pure bool) {
	core := strings.Map(func(r rune) rune {
		if isHan(r) || isASCIILetter(r) || isASCIIDigit(r) {
			return r
		}
		return -1
	}, strings.ToLower(s))
	if core == "" {
		return PolarityNone, false
	}
	// Pure answer: the core is a sequence of lexicon words and fillers only.
	if p, ok := pureAnswer(ix, core); ok {
		return p, true
	}
	// Questions such as 是不是 / 有没有 carry no answer.
	for _, q := range []string{"是不是", "有没有", "对不对", "好不好", "行不行", "要不要", "能不能", "可不可以", "是否"} {
		if strings.Contains(core, q) {
			return PolarityNone, false
		}
	}
	// A longer sentence: its first marker decides, longest phrase at a position first.
	for i := range core {
		aw, ok := ix.longest(core[i:], false)
		if !ok || runeLen(aw.word) < 2 || aw.weak {
			continue
		}
		return aw.pol, false
	}
	return PolarityNone, false
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
