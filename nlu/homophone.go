package nlu

import (
	"strings"

	"github.com/mozillazg/go-pinyin"
)

// homophoneWords are domain words speech recognisers often get wrong by sound (跳匝 for 跳闸,
// 停店 for 停电). They are chosen so that a sound-alike is almost never a real word in a
// customer's sentence.
var homophoneWords = []string{
	"跳闸", "停电", "保险丝", "漏电", "漏保", "空开", "总闸", "电闸", "电表", "电费", "缴费",
	"抢修", "电压", "户号", "电线", "充电桩", "变压器", "光伏", "窃电", "过户", "增容",
	"转人工", "断电", "空气开关", "漏电保护器", "电线杆", "预付费",
}

// homophoneStop are sound-alikes that are ordinary words and must be left alone.
var homophoneStop = map[string]bool{"听点": true, "短点": true, "点费": true, "电话": true, "听电": true, "电箱": true,
	"端电": true, "电咋": true, "电站": true, "电视": true, "点线": true}

// homophones rewrites sound-alikes of domain words using toneless, fuzzy pinyin
// (zh/z, ch/c, sh/s, n/l, -ing/-in and -eng/-en merged, as southern speakers and ASR confuse
// them). A character is read by its most common reading only, so heteronyms (查 cha/zha) do not
// turn ordinary words into domain words.
type homophones struct {
	syl     map[rune][]string // fuzzy toneless readings of the characters that matter
	byFirst map[string][]homWord
}

type homWord struct {
	word []rune
	syl  []string
}

var toneless = strings.NewReplacer(
	"ā", "a", "á", "a", "ǎ", "a", "à", "a", "ē", "e", "é", "e", "ě", "e", "è", "e",
	"ī", "i", "í", "i", "ǐ", "i", "ì", "i", "ō", "o", "ó", "o", "ǒ", "o", "ò", "o",
	"ū", "u", "ú", "u", "ǔ", "u", "ù", "u", "ǖ", "v", "ǘ", "v", "ǚ", "v", "ǜ", "v", "ü", "v",
	"ń", "n", "ň", "n", "ǹ", "n", "ḿ", "m", "ế", "e", "ề", "e", "ê", "e",
)

func fuzzySyllable(s string) string {
	s = toneless.Replace(s)
	for _, p := range []string{"zh", "ch", "sh"} {
		if strings.HasPrefix(s, p) {
			s = s[:1] + s[2:]
		}
	}
	if strings.HasPrefix(s, "l") {
		s = "n" + s[1:]
	}
	if strings.HasSuffix(s, "ing") || strings.HasSuffix(s, "eng") {
		s = s[:len(s)-1]
	}
	return s
}

func newHomophones() *homophones {
	readings := func(r rune) []string {
		raw, ok := pinyin.PinyinDict[int(r)]
		if !ok {
			return nil
		}
		var out []string
		for _, p := range strings.Split(raw, ",") {
			f := fuzzySyllable(p)
			dup := false
			for _, o := range out {
				dup = dup || o == f
			}
			if !dup {
				out = append(out, f)
			}
		}
		return out
	}
	h := &homophones{syl: map[rune][]string{}, byFirst: map[string][]homWord{}}
	wanted := map[string]bool{}
	for _, w := range homophoneWords {
		rs := []rune(w)
		hw := homWord{word: rs}
		for _, r := range rs {
			// The domain word's own reading is its first (most common) one.
			rd := readings(r)
			if len(rd) == 0 {
				hw.syl = nil
				break
			}
			hw.syl = append(hw.syl, rd[0])
			wanted[rd[0]] = true
		}
		if hw.syl != nil {
			h.byFirst[hw.syl[0]] = append(h.byFirst[hw.syl[0]], hw)
		}
	}
	for cp := range pinyin.PinyinDict {
		if cp < 0x3400 || cp > 0x9FFF {
			continue
		}
		if rd := readings(rune(cp)); len(rd) > 0 && wanted[rd[0]] {
			h.syl[rune(cp)] = rd[:1]
		}
	}
	return h
}

// Fix rewrites sound-alikes in place (same length, so offsets are unchanged) and reports
// whether anything changed.
func (h *homophones) Fix(rs []rune) bool {
	changed := false
	for i := 0; i < len(rs); i++ {
		first := h.syl[rs[i]]
		for _, s := range first {
			for _, w := range h.byFirst[s] {
				n := len(w.word)
				if i+n > len(rs) || string(rs[i:i+n]) == string(w.word) || homophoneStop[string(rs[i:i+n])] {
					continue
				}
				if h.matches(rs[i:i+n], w) {
					copy(rs[i:i+n], w.word)
					changed = true
				}
			}
		}
	}
	return changed
}

func (h *homophones) matches(win []rune, w homWord) bool {
	same := 0
	for k, r := range win {
		if r == w.word[k] {
			same++
		}
	}
	if same == 0 { // at least one character must be right, or any two syllables would do
		return false
	}
	for k, r := range win {
		ok := false
		for _, s := range h.syl[r] {
			if s == w.syl[k] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
