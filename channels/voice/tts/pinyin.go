package tts

import (
	_ "embed"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

//go:embed phrases.txt
var phrasesFile string

// Pinyin turns Chinese text into space-separated Tone3 pinyin for espeak-ng's
// cmn-latn-pinyin voice. It is immutable after construction and safe for concurrent use.
type Pinyin struct {
	phrases   map[string][]string
	maxPhrase int // longest phrase, in runes
	args      pinyin.Args
}

// NewPinyin loads the embedded phrase table.
func NewPinyin() *Pinyin {
	c := &Pinyin{phrases: map[string][]string{}, args: pinyin.NewArgs()}
	c.args.Style = pinyin.Tone3
	for _, line := range strings.Split(phrasesFile, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		phrase, reading, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		syl := strings.Fields(reading)
		if len([]rune(phrase)) != len(syl) {
			continue
		}
		c.phrases[phrase] = syl
		c.maxPhrase = max(c.maxPhrase, len(syl))
	}
	return c
}

// neutral are particles go-pinyin leaves toneless; espeak-ng wants the explicit 5.
var neutral = map[rune]string{'了': "le5", '的': "de5", '着': "zhe5", '吗': "ma5", '呢': "ne5", '吧': "ba5", '啊': "a5", '得': "de5", '么': "me5", '们': "men5", '子': "zi5"}

var digitReading = []string{"ling2", "yao1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"}
var digitValue = []string{"ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3"}

// Convert converts Mandarin text to Tone3 pinyin for espeak-ng. Digit runs of five or more
// (phone, account and hotline numbers such as 95598) are read digit by digit with 1 as yao1,
// the way a 95598 agent says them; shorter numbers are read as values (45 → si4 shi2 wu3).
// Chinese punctuation becomes a pause.
func (c *Pinyin) Convert(text string) string {
	rs := []rune(text)
	for i, r := range rs {
		if r >= '！' && r <= '～' { // full-width ASCII forms → ASCII
			rs[i] = r - '！' + '!'
		}
	}
	var out []string
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.Is(unicode.Han, r):
			j := i
			for j < len(rs) && unicode.Is(unicode.Han, rs[j]) {
				j++
			}
			out = append(out, c.han(rs[i:j])...)
			i = j
		case isDigit(r):
			j := i
			for j < len(rs) && isDigit(rs[j]) {
				j++
			}
			digits := make([]int, 0, j-i)
			for _, d := range rs[i:j] {
				digits = append(digits, int(d-'0'))
			}
			switch {
			case j < len(rs) && rs[j] == '年':
				// Years are read digit by digit: 2026年 → er4 ling2 er4 liu4 nian2.
				for _, d := range digits {
					out = append(out, digitValue[d])
				}
			case len(digits) <= 2 && j+2 < len(rs) && rs[j] == ':' && isDigit(rs[j+1]) && isDigit(rs[j+2]):
				// Clock times: 18:30 → shi2 ba1 dian3 san1 shi2 fen1.
				out = append(out, readNumber(digits)...)
				out = append(out, "dian3")
				m := []int{int(rs[j+1] - '0'), int(rs[j+2] - '0')}
				if m[0] != 0 || m[1] != 0 {
					if m[0] == 0 {
						out = append(out, "ling2")
					}
					out = append(out, readNumber(m)...)
					out = append(out, "fen1")
				}
				j += 3
			default:
				out = append(out, readNumber(digits)...)
			}
			// A decimal point between digits: 12.5 → shi2 er4 dian3 wu3.
			if j+1 < len(rs) && rs[j] == '.' && isDigit(rs[j+1]) {
				out = append(out, "dian3")
				k := j + 1
				for k < len(rs) && rs[k] >= '0' && rs[k] <= '9' {
					out = append(out, digitValue[rs[k]-'0'])
					k++
				}
				j = k
			}
			i = j
		case strings.ContainsRune("，、；：,;:—…~", r):
			out = append(out, ",")
			i++
		case strings.ContainsRune("。！？.!?\n", r):
			out = append(out, ".")
			i++
		case unicode.IsLetter(r):
			j := i
			for j < len(rs) && r < unicode.MaxASCII && unicode.IsLetter(rs[j]) && rs[j] < unicode.MaxASCII {
				j++
			}
			if j == i {
				j = i + 1 // a non-ASCII, non-Han letter: skip it
			} else {
				out = append(out, strings.ToLower(string(rs[i:j])))
			}
			i = j
		default:
			i++
		}
	}
	// Join, attaching punctuation to the previous syllable.
	var b strings.Builder
	for k, s := range out {
		if k > 0 && s != "," && s != "." {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return strings.TrimLeft(b.String(), ",. ")
}

// han converts a run of Han characters, longest phrase override first.
func (c *Pinyin) han(rs []rune) []string {
	var out []string
	for i := 0; i < len(rs); {
		matched := false
		for n := min(c.maxPhrase, len(rs)-i); n >= 2; n-- {
			if syl, ok := c.phrases[string(rs[i:i+n])]; ok {
				out = append(out, syl...)
				i += n
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if s, ok := neutral[rs[i]]; ok && i > 0 {
			out = append(out, s)
			i++
			continue
		}
		p := pinyin.SinglePinyin(rs[i], c.args)
		switch {
		case len(p) == 0:
		case !strings.ContainsAny(p[0], "12345"):
			out = append(out, p[0]+"5")
		default:
			out = append(out, p[0])
		}
		i++
	}
	return out
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// readNumber reads digits as a 95598 agent would.
func readNumber(d []int) []string {
	if len(d) >= 5 || (len(d) > 1 && d[0] == 0) {
		out := make([]string, len(d))
		for i, v := range d {
			out[i] = digitReading[v]
		}
		return out
	}
	// Value reading up to 9999.
	n := 0
	for _, v := range d {
		n = n*10 + v
	}
	if n == 0 {
		return []string{"ling2"}
	}
	units := []string{"qian1", "bai3", "shi2", ""}
	var out []string
	s := []int{n / 1000, n / 100 % 10, n / 10 % 10, n % 10}
	started, zero := false, false
	for i, v := range s {
		if v == 0 {
			if started {
				zero = true
			}
			continue
		}
		if zero {
			out = append(out, "ling2")
			zero = false
		}
		// 10–19 read as shi2 …, not yi1 shi2 ….
		if !(i == 2 && v == 1 && !started) {
			out = append(out, digitValue[v])
		}
		if units[i] != "" {
			out = append(out, units[i])
		}
		started = true
	}
	return out
}
