package bot

import (
	"strings"
	"unicode"
)

// Mask hides the middle of every run of seven or more digits (phones, 户号, ids) so that
// customer text can be logged without leaking personal numbers: 13800138000 → 138****8000.
// Full-width digits count as digits. Every log line that prints customer text uses it.
func Mask(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(rs); {
		if !isDigit(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && isDigit(rs[j]) {
			j++
		}
		b.WriteString(maskRun(rs[i:j]))
		i = j
	}
	return b.String()
}

func isDigit(r rune) bool { return unicode.IsDigit(r) }

func maskRun(d []rune) string {
	n := len(d)
	if n < 7 {
		return string(d)
	}
	head, tail := 3, 4
	if n < 11 {
		head, tail = 2, 2
		if n >= 9 {
			head, tail = 3, 3
		}
	}
	return string(d[:head]) + strings.Repeat("*", n-head-tail) + string(d[n-tail:])
}
