package nlu

import (
	"unicode"
	"unicode/utf8"
)

// normText is normalised text with, for every normalised rune, the span of original runes it
// came from, so entities found in the normalised text can point into the customer's words.
type normText struct {
	Runes []rune
	// Src[i] is the [start, end) original rune span of Runes[i].
	Src [][2]int
}

func (n *normText) String() string { return string(n.Runes) }

func (n *normText) add(r rune, start, end int) {
	n.Runes = append(n.Runes, r)
	n.Src = append(n.Src, [2]int{start, end})
}

// origSpan maps a normalised rune span [s, e) back to original rune offsets.
func (n *normText) origSpan(s, e int) (int, int) {
	if len(n.Src) == 0 || s >= e || s < 0 || e > len(n.Src) {
		return 0, 0
	}
	return n.Src[s][0], n.Src[e-1][1]
}

// normalizer turns what customers type or what ASR emits into one canonical form: simplified
// characters, half-width ASCII, Arabic digits in number contexts, plain punctuation, no emoji
// and no runs of repeated characters.
type normalizer struct {
	t2s *openCC
	// traditional holds the characters OpenCC changes; text without any skips the C call.
	traditional map[rune]bool
}

// traditionalRunes asks OpenCC once, at start-up, which CJK characters it converts.
func traditionalRunes(cc *openCC) map[rune]bool {
	var src []rune
	for r := rune(0x3400); r <= 0x9FFF; r++ {
		src = append(src, r)
	}
	for r := rune(0xF900); r <= 0xFAFF; r++ {
		src = append(src, r)
	}
	dst := []rune(cc.Convert(string(src)))
	set := map[rune]bool{}
	if len(dst) != len(src) {
		return nil // cannot tell: convert every text
	}
	for i, r := range src {
		if dst[i] != r {
			set[r] = true
		}
	}
	return set
}

func (z *normalizer) needsT2S(rs []rune) bool {
	if z.traditional == nil {
		return hasHan(rs)
	}
	for _, r := range rs {
		if z.traditional[r] {
			return true
		}
	}
	return false
}

// dialectMap folds single-character dialect forms into Mandarin (Cantonese 冇 = 没, 咗 = 了,
// 唔 = 不).
var dialectMap = map[rune]rune{'冇': '没', '咗': '了', '唔': '不'}

var punctMap = map[rune]rune{
	'。': '.', '、': ',', '，': ',', '！': '!', '？': '?', '；': ';', '：': ':',
	'“': '"', '”': '"', '‘': '\'', '’': '\'', '「': '"', '」': '"', '『': '"', '』': '"',
	'【': '[', '】': ']', '《': '"', '》': '"', '〈': '"', '〉': '"', '～': '~', '—': '-',
	'－': '-', '–': '-', '…': '.', '·': ' ', '\u3000': ' ', '\t': ' ', '\r': ' ', '\n': ' ',
	'（': '(', '）': ')', '﹐': ',', '﹒': '.',
}

func (z *normalizer) Normalize(text string) *normText {
	// []rune turns each invalid byte into one U+FFFD, as utf8.RuneCountInString counts it, so
	// offsets stay rune offsets into the caller's text even when it is not valid UTF-8.
	orig := []rune(text)
	text = string(orig)
	// Traditional → simplified. OpenCC maps almost always rune for rune; when a phrase rule
	// changes the length, fall back to converting rune by rune to keep the offset map exact.
	conv := orig
	if z.t2s != nil && z.needsT2S(orig) {
		c := []rune(z.t2s.Convert(text))
		if len(c) == len(orig) {
			conv = c
		} else {
			conv = make([]rune, len(orig))
			for i, r := range orig {
				cr := []rune(z.t2s.Convert(string(r)))
				if len(cr) == 1 {
					conv[i] = cr[0]
				} else {
					conv[i] = r
				}
			}
		}
	}
	// Width, punctuation, emoji and control characters.
	stage := &normText{Runes: make([]rune, 0, len(conv)), Src: make([][2]int, 0, len(conv))}
	for i, r := range conv {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if m, ok := dialectMap[r]; ok {
			r = m
		}
		if m, ok := punctMap[r]; ok {
			r = m
		}
		if isEmoji(r) || r == utf8.RuneError || (unicode.IsControl(r) && r != ' ') {
			continue
		}
		if unicode.IsSpace(r) {
			r = ' '
		}
		stage.add(r, i, i+1)
	}
	stage = collapseRepeats(stage)
	stage = convertNumerals(stage)
	return trimSpaces(stage)
}

func hasHan(rs []rune) bool {
	for _, r := range rs {
		if r >= 0x2E80 {
			return true
		}
	}
	return false
}

func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x1FC00 && r <= 0x1FFFF,
		r == 0xFE0F, r == 0xFE0E, r == 0x200D, r == 0x20E3, r >= 0xE0020 && r <= 0xE007F,
		r >= 0x2B00 && r <= 0x2BFF, r >= 0x2190 && r <= 0x21FF && r != 0x2192:
		return true
	}
	return false
}

// collapseRepeats shortens a run of three or more identical characters to one (啊啊啊啊 → 啊,
// !!! → !). Digits and latin letters are left alone: 13888888888 is a phone number.
func collapseRepeats(in *normText) *normText {
	out := &normText{Runes: make([]rune, 0, len(in.Runes)), Src: make([][2]int, 0, len(in.Runes))}
	for i := 0; i < len(in.Runes); {
		r := in.Runes[i]
		j := i + 1
		for j < len(in.Runes) && in.Runes[j] == r {
			j++
		}
		if j-i >= 3 && !isASCIIDigit(r) && !isASCIILetter(r) && !isCNNum(r) {
			out.add(r, in.Src[i][0], in.Src[j-1][1])
		} else if r == ' ' {
			out.add(r, in.Src[i][0], in.Src[j-1][1])
		} else {
			out.Runes = append(out.Runes, in.Runes[i:j]...)
			out.Src = append(out.Src, in.Src[i:j]...)
		}
		i = j
	}
	return out
}

func trimSpaces(in *normText) *normText {
	s, e := 0, len(in.Runes)
	for s < e && in.Runes[s] == ' ' {
		s++
	}
	for e > s && in.Runes[e-1] == ' ' {
		e--
	}
	return &normText{Runes: in.Runes[s:e], Src: in.Src[s:e]}
}

func isASCIIDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isASCIILetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }
func isHan(r rune) bool         { return unicode.Is(unicode.Han, r) }
