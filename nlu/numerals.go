package nlu

import (
	"strconv"
	"strings"
)

var cnDigit = map[rune]int{
	'零': 0, '〇': 0, '洞': 0, '幺': 1, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4,
	'五': 5, '六': 6, '七': 7, '八': 8, '九': 9,
}

var cnUnit = map[rune]int{'十': 10, '百': 100, '千': 1000, '万': 10000}

// unitContext lists what may follow a lone Chinese numeral for it to be read as a number
// (三号楼, 五星, 两块钱); without it 一下 / 一般 / 一直 stay words.
var unitContext = []string{
	"块", "元", "度", "号", "分", "星", "栋", "幢", "楼", "单元", "室", "岁", "户", "组", "层",
	"年", "月", "日", "小时", "分钟", "毛", "角", "排", "期", "周", "天",
}

var timeBefore = []string{"上午", "下午", "晚上", "早上", "中午", "凌晨", "傍晚", "到", "今天", "明天", "后天", "昨天", "夜里", "半夜", "等到"}
var timeAfter = []string{"钟", "半", "多", "前", "左右", "之前", "以前", "以后", "过"}

// convertNumerals rewrites Chinese and spoken numerals as Arabic digits where they are numbers:
// digit strings read one by one (幺三九一二三四五六七八 → 13912345678, 洞/零 → 0), positional
// numbers (两百三十六 → 236) and single numerals before a unit (五星 → 5星).
func convertNumerals(in *normText) *normText {
	rs := in.Runes
	out := &normText{Runes: make([]rune, 0, len(rs)), Src: make([][2]int, 0, len(rs))}
	for i := 0; i < len(rs); {
		if !isCNNum(rs[i]) {
			out.add(rs[i], in.Src[i][0], in.Src[i][1])
			i++
			continue
		}
		j := i
		for j < len(rs) && isCNNum(rs[j]) {
			j++
		}
		run := rs[i:j]
		digits, byDigit := readNumeral(rs, i, j)
		if digits == "" {
			out.Runes = append(out.Runes, run...)
			out.Src = append(out.Src, in.Src[i:j]...)
		} else if byDigit {
			for k, d := range digits {
				out.add(d, in.Src[i+k][0], in.Src[i+k][1])
			}
		} else {
			span := [2]int{in.Src[i][0], in.Src[j-1][1]}
			for _, d := range digits {
				out.add(d, span[0], span[1])
			}
		}
		i = j
	}
	return out
}

func isCNNum(r rune) bool {
	if _, ok := cnDigit[r]; ok {
		return true
	}
	_, ok := cnUnit[r]
	return ok
}

// readNumeral decides whether rs[i:j] (a run of numeral characters) is a number and returns its
// digits; byDigit reports a one-to-one digit reading.
func readNumeral(rs []rune, i, j int) (digits string, byDigit bool) {
	run := rs[i:j]
	hasUnit, spoken := false, false
	for _, r := range run {
		if _, ok := cnUnit[r]; ok {
			hasUnit = true
		}
		if r == '幺' || r == '洞' || r == '零' || r == '〇' {
			spoken = true
		}
	}
	after := string(rs[j:min(j+3, len(rs))])
	before := string(rs[max(0, i-3):i])
	if !hasUnit {
		if len(run) >= 3 || (spoken && len(run) >= 2) {
			var b strings.Builder
			for _, r := range run {
				b.WriteByte(byte('0' + cnDigit[r]))
			}
			return b.String(), true
		}
		if len(run) == 1 && run[0] != '零' && run[0] != '〇' && run[0] != '洞' && run[0] != '幺' {
			if hasPrefixAny(after, unitContext) || (strings.HasPrefix(after, "点") && timeContext(before, after[len("点"):])) {
				return string(rune('0' + cnDigit[run[0]])), true
			}
		}
		return "", false
	}
	// Positional: must start with a digit, or with 十 followed by something (十五, 十块).
	if _, ok := cnUnit[run[0]]; ok && run[0] != '十' {
		return "", false
	}
	if len(run) == 1 { // a lone 十
		if hasPrefixAny(after, unitContext) && !strings.HasPrefix(after, "分") {
			return "10", false
		}
		return "", false
	}
	v, ok := parsePositional(run)
	if !ok {
		return "", false
	}
	return strconv.Itoa(v), false
}

func timeContext(before, afterDian string) bool {
	for _, p := range timeBefore {
		if strings.HasSuffix(before, p) {
			return true
		}
	}
	return hasPrefixAny(afterDian, timeAfter)
}

func hasPrefixAny(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// parsePositional reads 两百三十六, 一万二 (12000), 三百五 (350), 十五, 一千零八.
func parsePositional(run []rune) (int, bool) {
	total, section, digit := 0, 0, -1
	lastUnit, zero := 0, false
	for _, r := range run {
		if d, ok := cnDigit[r]; ok {
			if digit > 0 {
				return 0, false // two digits in a row: 五六十 is a range, not a number
			}
			if d == 0 {
				zero = true
			}
			digit = d
			continue
		}
		zero = false
		u := cnUnit[r]
		if u == 10000 {
			if digit > 0 {
				section += digit
			}
			if section == 0 {
				return 0, false
			}
			total += section * 10000
			section, digit, lastUnit = 0, -1, 10000
			continue
		}
		if digit < 0 {
			if u != 10 || section != 0 || total != 0 {
				return 0, false
			}
			digit = 1 // 十五
		}
		if lastUnit != 0 && lastUnit != 10000 && u >= lastUnit {
			return 0, false
		}
		section += digit * u
		digit, lastUnit = -1, u
	}
	if digit > 0 {
		// 一万二 / 三百五: a trailing digit is one order below the last unit.
		if lastUnit >= 100 && !zero {
			section += digit * lastUnit / 10
		} else {
			section += digit
		}
	}
	return total + section, true
}
