package nlu

import "strings"

// Agitation cues with their weights. Threats to escalate outside the company weigh most,
// since the dialogs hand such a customer to a supervisor before it gets worse.
var agitationCues = []struct {
	words  []string
	weight float64
}{
	{[]string{"12345", "12398", "曝光", "媒体", "起诉", "记者", "电视台", "律师", "法院", "上访", "市长热线", "能源局", "报社", "网上发", "发抖音", "发微博"}, 0.4},
	{[]string{"傻逼", "傻x", "傻b", "傻叉", "煞笔", "沙比", "sb", "他妈", "妈的", "tmd", "nmd", "滚", "废物", "混蛋", "王八蛋", "狗东西", "什么玩意", "扯淡", "放屁", "去死", "垃圾", "白痴", "脑子有病", "有病啊", "神经病", "吃屎", "操"}, 0.5},
	{[]string{"投诉", "太不像话", "不像话", "气死", "受够了", "无语", "离谱", "过分", "岂有此理", "什么破", "耽误", "多少次", "几次了", "好几次", "还不来", "到底", "凭什么", "搞什么", "磨磨蹭蹭", "推诿", "踢皮球", "不负责", "不作为", "忍无可忍", "火大", "烦死", "急死", "催了", "一直没人", "没人管", "骗子", "坑人", "欺负"}, 0.2},
}

// agitation scores how upset the customer sounds, in [0,1], from the original text (repeated
// characters and exclamation marks are signals, so they are read before normalisation) and
// the normalised text (for words).
func agitation(orig, norm string) float64 {
	score := 0.0
	low := strings.ToLower(norm)
	for _, c := range agitationCues {
		hits := 0
		for _, w := range c.words {
			if containsWord(low, w) {
				hits++
			}
		}
		if hits > 0 {
			score += c.weight * (1 + 0.25*float64(hits-1))
		}
	}
	// Exclamation and question marks stacked up.
	bangs := strings.Count(orig, "!") + strings.Count(orig, "！")
	score += min(0.25, 0.08*float64(bangs))
	if strings.Contains(orig, "?!") || strings.Contains(orig, "？！") || strings.Contains(orig, "!?") || strings.Contains(orig, "！？") {
		score += 0.1
	}
	// Repetition: a character typed three or more times in a row (啊啊啊, 快快快).
	rs := []rune(orig)
	run := 1
	for i := 1; i < len(rs); i++ {
		if rs[i] == rs[i-1] && !isASCIIDigit(rs[i]) && !isCNNum(rs[i]) { // 零零零 is part of a number
			run++
			if run == 3 {
				score += 0.15
			}
		} else {
			run = 1
		}
	}
	// Repeated phrase (快点快点快点) counts as repetition too.
	if n := len(rs); n >= 6 {
		for l := 2; l <= 4 && 3*l <= n; l++ {
			for i := 0; i+3*l <= n; i++ {
				if string(rs[i:i+l]) == string(rs[i+l:i+2*l]) && string(rs[i:i+l]) == string(rs[i+2*l:i+3*l]) {
					score += 0.15
					l = 5
					break
				}
			}
		}
	}
	return min(1, score)
}

// containsWord finds w in s; a number such as 12345 must stand alone, not inside a phone number.
func containsWord(s, w string) bool {
	if !isASCIIDigit(rune(w[0])) {
		return strings.Contains(s, w)
	}
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		j := i + len(w)
		if (i == 0 || !isASCIIDigit(rune(s[i-1]))) && (j == len(s) || !isASCIIDigit(rune(s[j]))) {
			return true
		}
		off = i + 1
	}
}
