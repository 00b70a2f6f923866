package nlu

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// entityExtractor finds entities in normalised text; offsets are normalised rune offsets
// until Parse maps them back to the original.
type entityExtractor struct {
	accountLens map[int]bool
}

var (
	reDigitGroup   = regexp.MustCompile(`\d+`)
	reAddrNumbered = regexp.MustCompile(`[0-9]+-?[0-9]*(?:号楼|号院|号|栋|幢|单元|室|楼|组|层|弄|排|队)`)
)

type span struct {
	typ, value string
	s, e       int // normalised rune offsets
}

// byteToRune maps every byte offset of s (and len(s)) to the rune offset it falls in.
func byteToRune(s string) []int {
	m := make([]int, len(s)+1)
	ri := -1
	for bi := 0; bi < len(s); bi++ {
		if !utf8.RuneStart(s[bi]) && ri >= 0 {
			m[bi] = ri
			continue
		}
		ri++
		m[bi] = ri
	}
	m[len(s)] = ri + 1
	return m
}

func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

var accountContext = []string{"户号", "用户号", "用户编号", "账号", "户头", "缴费号", "客户编号", "电费号"}
var phoneContext = []string{"电话", "手机", "号码", "联系", "打我", "回电"}

func (x *entityExtractor) extract(norm string, toks []token) []span {
	b2r := byteToRune(norm)
	var out []span
	taken := make([]bool, runeLen(norm)+1)
	mark := func(s, e int) {
		for i := s; i < e && i < len(taken); i++ {
			taken[i] = true
		}
	}
	free := func(s, e int) bool {
		for i := s; i < e && i < len(taken); i++ {
			if taken[i] {
				return false
			}
		}
		return true
	}
	// Ticket ids first: their digits must not become phones or numbers.
	for _, m := range ticketIDs(norm) {
		s, e := b2r[m[0]], b2r[m[1]]
		val := strings.ToUpper(norm[m[0]:m[0]+2]) + digitsOnly(norm[m[0]+2:m[1]])
		out = append(out, span{EntityTicketID, val, s, e})
		mark(s, e)
	}
	// Digit runs: phones, accounts, numbers.
	for _, m := range digitRuns(norm) {
		s, e := b2r[m[0]], b2r[m[1]]
		if !free(s, e) {
			continue
		}
		raw := norm[m[0]:m[1]]
		d := digitsOnly(raw)
		before := norm[:m[0]]
		if i := len(before) - 18; i > 0 { // ~6 Han characters of context
			for i < len(before) && before[i]&0xC0 == 0x80 {
				i++
			}
			before = before[i:]
		}
		acctCtx := containsAny(before, accountContext)
		phoneCtx := containsAny(before, phoneContext)
		grouped := strings.ContainsAny(raw, " -.()")
		switch {
		// An account has the configured length; when it could also be a phone, the words
		// before it (户号 / 电话) or the way it is written (grouped like a phone) decide.
		case x.accountLens[len(d)] && (acctCtx || !(isMobile(d) || isLandline(d, raw)) || (!phoneCtx && !grouped && !isMobile(d))):
			out = append(out, span{EntityAccount, d, s, e})
		case isMobile(d) || isLandline(d, raw) || (phoneCtx && (len(d) == 7 || len(d) == 8)):
			out = append(out, span{EntityPhone, d, s, e})
		case grouped && strings.Contains(raw, "."):
			// a decimal such as 12.5: one number
			out = append(out, span{EntityNumber, strings.Trim(raw, " -()"), s, e})
		case grouped:
			// unrelated numbers separated by spaces: one entity each
			for _, g := range reDigitGroup.FindAllStringIndex(raw, -1) {
				out = append(out, span{EntityNumber, raw[g[0]:g[1]], b2r[m[0]+g[0]], b2r[m[0]+g[1]]})
			}
		default:
			out = append(out, span{EntityNumber, d, s, e})
		}
		mark(s, e)
	}
	addrs := x.addresses(norm, b2r, toks)
	rts := ratings(norm, b2r)
	tms := times(norm, b2r)
	// A number inside an address (3栋2单元), a time (下午3点) or a rating (5分) belongs to it.
	kept := out[:0]
	for _, sp := range out {
		inside := false
		for _, group := range [][]span{addrs, rts, tms} {
			for _, a := range group {
				if sp.typ == EntityNumber && sp.s >= a.s && sp.e <= a.e && a.e-a.s > sp.e-sp.s {
					inside = true
				}
			}
		}
		if !inside {
			kept = append(kept, sp)
		}
	}
	out = append(kept, addrs...)
	out = append(out, rts...)
	out = append(out, tms...)
	out = append(out, scopes(norm, b2r)...)
	out = append(out, names(norm, b2r, toks)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].s < out[j].s })
	return out
}

// ticketIDs finds two letters (not inside a longer word) followed by twelve digits, single
// spaces allowed between them; it returns byte spans. Hand-written: the equivalent regular
// expression backtracks heavily on digit-rich text.
func ticketIDs(s string) [][2]int {
	var out [][2]int
	for i := 0; i+14 <= len(s); i++ {
		if !isASCIILetter(rune(s[i])) || !isASCIILetter(rune(s[i+1])) || (i > 0 && isASCIILetter(rune(s[i-1]))) {
			continue
		}
		j := i + 2
		if j < len(s) && s[j] == ' ' {
			j++
		}
		n := 0
		for j < len(s) && n < 12 {
			if isASCIIDigit(rune(s[j])) {
				n++
				j++
				continue
			}
			if s[j] == ' ' && n > 0 && j+1 < len(s) && isASCIIDigit(rune(s[j+1])) {
				j++
				continue
			}
			break
		}
		if n == 12 && (j == len(s) || !isASCIIDigit(rune(s[j]))) {
			out = append(out, [2]int{i, j})
			i = j - 1
		}
	}
	return out
}

// digitRuns finds runs of digits joined by single separators (space, dash, dot) or brackets
// around an area code: 139 1234 5678, 0571-88886666, (0571)88886666. It returns byte spans.
func digitRuns(s string) [][2]int {
	var out [][2]int
	digitAt := func(k int) bool { return k < len(s) && isASCIIDigit(rune(s[k])) }
	for i := 0; i < len(s); i++ {
		if !digitAt(i) && !(s[i] == '(' && digitAt(i+1)) {
			continue
		}
		j := i
		for j < len(s) {
			c := s[j]
			switch {
			case isASCIIDigit(rune(c)):
				j++
			case c == '(' && digitAt(j+1), c == ')' && j > i && isASCIIDigit(rune(s[j-1])) && (digitAt(j+1) || (j+2 < len(s) && strings.ContainsRune(" -", rune(s[j+1])) && digitAt(j+2))):
				j++
			case (c == ' ' || c == '-' || c == '.') && j > i && (isASCIIDigit(rune(s[j-1])) || s[j-1] == ')') && (digitAt(j+1) || (j+1 < len(s) && s[j+1] == '(' && digitAt(j+2))):
				j++
			default:
				goto done
			}
		}
	done:
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func isMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// isLandline accepts 区号-号码: a 3- or 4-digit area code starting with 0 and a 7- or 8-digit
// number, 10 to 12 digits in all.
func isLandline(d, raw string) bool {
	if len(d) < 10 || len(d) > 12 || d[0] != '0' || d[1] == '0' {
		return false
	}
	if strings.ContainsAny(raw, " -()") {
		i := strings.IndexAny(strings.TrimLeft(raw, "("), " -)")
		area := digitsOnly(strings.TrimLeft(raw, "(")[:max(i, 0)])
		return len(area) == 3 || len(area) == 4
	}
	return true
}

// Address patterns: a named place (two or more characters before a place suffix) or a
// numbered part (3栋, 2单元, 501室); an address is a chain of them.
var (
	reAddress = regexp.MustCompile(`(?:(?:[\p{Han}A-Za-z0-9]{2,12}?(?:省|市|区|县|镇|乡|村|十字路口|路口|交叉口|路|街口|街|大道|大街|巷|胡同|小区|花园|苑|家园|公寓|大厦|广场|新村|社区|屯|庄|园|城|湾|府))|(?:[\p{Han}]{2,12}?(?:供电所|营业厅|小学|中学|学校|医院|卫生院|菜市场|市场|超市|车站|加油站|银行)(?:旁边|对面|附近|后面|前面|门口|边上|后头))|(?:[0-9]+-?[0-9]*(?:号楼|号院|号|栋|幢|单元|室|楼|组|层|弄|排|队))|(?:小区|花园|家园|公寓|大厦|广场|新村|社区))+(?:[0-9]{3,4}\b)?(?:十字路口|路口|交叉口)?(?:旁边|对面|附近|后面|前面|门口|边上|后头)?`)
	addrLead  = []string{"一下", "我家住在", "我家在", "我住在", "我们住在", "住在", "地址是", "地址在", "地址", "位于", "就在", "我在", "我家", "我们", "我是", "在", "住", "是", "的", "到"}
	addrStop  = []string{"不是", "不", "没", "整个", "这个", "那个", "附近", "隔壁", "一个", "整条", "同一个", "我们", "全", "整", "本", "周边", "这", "那", "哪个", "什么", "所有"}
)

// addrCut are characters no place name contains (verbs and particles of the sentence around it).
const addrCut = "了倒掉冒压挂拖去说看查问帮要想请吧吗呢把被往让找给从"

func lastIndexAny(s, chars string) int {
	best := -1
	for _, c := range chars {
		if i := strings.LastIndex(s, string(c)); i > best {
			best = i
		}
	}
	return best
}

// addrSuffixChars holds every character an address suffix ends with; text without any of them
// cannot hold an address and skips the (backtracking) address pattern.
const addrSuffixChars = "省市区县镇乡村路街道巷同园苑寓厦场社屯庄城湾府号院栋幢元室楼组层弄排队口所厅学院站行"

var (
	addrNamed = []string{"省", "市", "区", "县", "镇", "乡", "村", "路", "街", "大道", "巷", "胡同", "小区", "花园", "苑", "家园", "公寓", "大厦", "广场", "社区", "屯", "庄", "园", "城", "湾", "府",
		"路口", "交叉口", "供电所", "营业厅", "学校", "小学", "中学", "医院", "卫生院", "市场", "超市", "车站", "加油站", "银行"}
	// notPlaces are words jieba tags as place names (ns) that a customer uses otherwise.
	notPlaces = map[string]bool{"礼拜": true, "东西": true, "上门": true, "天黑": true, "锦旗": true, "台风": true, "太阳": true,
		"中断": true, "新建": true, "比亚": true, "花都": true, "拜拜": true, "欧阳": true, "上官": true, "司马": true, "东方": true, "南宫": true, "西门": true, "中华": true, "江湖": true}
	addrNumbered = []string{"号", "栋", "幢", "单元", "室", "楼", "组", "层", "弄", "排", "队"}
)

// addressPossible is a cheap test that spares most utterances the backtracking address pattern:
// a named suffix with two characters before it, or a numbered suffix after a digit.
func addressPossible(s string) bool {
	if !strings.ContainsAny(s, addrSuffixChars) {
		return false
	}
	for _, suf := range addrNamed {
		if i := strings.LastIndex(s, suf); i >= 0 && utf8.RuneCountInString(s[:i]) >= 2 {
			return true
		}
	}
	for _, suf := range addrNumbered {
		for off := 0; ; {
			i := strings.Index(s[off:], suf)
			if i < 0 {
				break
			}
			i += off
			if i > 0 && isASCIIDigit(rune(s[i-1])) {
				return true
			}
			off = i + len(suf)
		}
	}
	return false
}

func (x *entityExtractor) addresses(norm string, b2r []int, toks []token) []span {
	var out []span
	if !addressPossible(norm) {
		goto ns
	}
	for pos := 0; pos < len(norm); {
		m := reAddress.FindStringIndex(norm[pos:])
		if m == nil {
			break
		}
		a, b := pos+m[0], pos+m[1]
		start := a
		pos = b
		text := norm[a:b]
		// Cut a lead-in such as 我家在 / 地址是.
		for changed := true; changed; {
			changed = false
			// Words before a verb or particle are not part of the place: 帮我查一下阳光花园 →
			// 阳光花园, 电线杆倒了压在路 → nothing.
			if i := lastIndexAny(text, addrCut); i >= 0 {
				_, n := utf8.DecodeRuneInString(text[i:])
				text, a, changed = text[i+n:], a+i+n, true
				continue
			}
			if i := strings.LastIndex(text, "在"); i >= 0 && i < len(text)-3*3 {
				text, a, changed = text[i+3:], a+i+3, true
				continue
			}
			for _, l := range addrLead {
				if strings.HasPrefix(text, l) && len(text) > len(l) {
					text, a, changed = text[len(l):], a+len(l), true
					break
				}
			}
		}
		if hasPrefixAny(text, addrStop) || runeLen(text) < 3 {
			if a > start && a < b {
				// The match began with a lead-in (就在城 → 城): look again right after it, where
				// the place name really starts (城南供电所).
				pos = a
			}
			continue
		}
		// A lone numbered part (3楼, 5号) is not an address; two parts (3栋2单元) are.
		named := !isASCIIDigit([]rune(text)[0])
		parts := len(reAddrNumbered.FindAllString(text, -1))
		if !named && parts < 2 {
			continue
		}
		out = append(out, span{EntityAddress, text, b2r[a], b2r[b]})
	}
	// Place names jieba tags ns (杭州, 朝阳区) outside any found address.
ns:
	for _, t := range toks {
		if t.Tag != "ns" || runeLen(t.Text) < 2 || notPlaces[t.Text] {
			continue
		}
		inside := false
		for _, o := range out {
			if t.Start < o.e && t.End > o.s {
				inside = true
			}
		}
		if !inside {
			out = append(out, span{EntityAddress, t.Text, t.Start, t.End})
		}
	}
	return out
}

var scopeWords = []struct {
	phrase, value string
}{
	{"就我家", ScopeSelf}, {"只有我家", ScopeSelf}, {"只是我家", ScopeSelf}, {"就我们家", ScopeSelf}, {"只有我们家", ScopeSelf},
	{"邻居有电", ScopeSelf}, {"邻居家有电", ScopeSelf}, {"对门有电", ScopeSelf}, {"隔壁有电", ScopeSelf}, {"别人家有电", ScopeSelf},
	{"别家有电", ScopeSelf}, {"邻居都有电", ScopeSelf}, {"邻居家都有电", ScopeSelf}, {"就我一家", ScopeSelf}, {"只有我一家", ScopeSelf},
	{"我家", ScopeSelf}, {"家里", ScopeSelf}, {"屋头", ScopeSelf},
	{"整栋楼", ScopeBuilding}, {"整幢楼", ScopeBuilding}, {"整个楼", ScopeBuilding}, {"整个单元", ScopeBuilding}, {"整单元", ScopeBuilding},
	{"楼上楼下都", ScopeBuilding}, {"楼上楼下", ScopeBuilding}, {"整栋", ScopeBuilding}, {"全楼", ScopeBuilding}, {"这栋楼", ScopeBuilding},
	{"一栋楼", ScopeBuilding}, {"我们楼", ScopeBuilding}, {"邻居也", ScopeBuilding}, {"邻居都没电", ScopeBuilding}, {"邻居家也", ScopeBuilding},
	{"整个小区", ScopeArea}, {"一片", ScopeArea}, {"全村", ScopeArea}, {"整个村", ScopeArea}, {"整条街", ScopeArea}, {"附近都", ScopeArea},
	{"全小区", ScopeArea}, {"小区都", ScopeArea}, {"整个片区", ScopeArea}, {"周围都", ScopeArea}, {"周边都", ScopeArea}, {"一条街", ScopeArea},
	{"整片", ScopeArea}, {"我们村", ScopeArea}, {"整个镇", ScopeArea}, {"整个街道", ScopeArea}, {"附近的都", ScopeArea}, {"大面积", ScopeArea},
	{"整个社区", ScopeArea}, {"好几栋", ScopeArea}, {"全镇", ScopeArea},
}

// scopes returns the outage range. An explicit range phrase beats the bare 我家 / 家里, which
// only counts when nothing wider is said.
func scopes(norm string, b2r []int) []span {
	var best *span
	rank := func(p string) int {
		if p == "我家" || p == "家里" || p == "屋头" {
			return 0
		}
		return 1
	}
	bestRank := -1
	for _, w := range scopeWords {
		i := strings.Index(norm, w.phrase)
		if i < 0 {
			continue
		}
		r := rank(w.phrase)
		if r > bestRank {
			s := span{EntityScope, w.value, b2r[i], b2r[i+len(w.phrase)]}
			best, bestRank = &s, r
		}
	}
	if bestRank < 1 {
		if sp, ok := neighbourScope(norm, b2r); ok {
			return []span{sp}
		}
	}
	if best == nil {
		return nil
	}
	return []span{*best}
}

// Neighbours tell the outage range: 隔壁王婶家灯是亮的 (they have power: only this home),
// 楼上楼下也黑了 (the building), 邻居也没电 (the area).
var (
	neighbourWords = []string{"楼上楼下", "楼上", "楼下", "对门", "隔壁", "邻居", "别人家", "旁边人家", "左邻右舍", "周围邻居", "街坊"}
	neighbourOn    = []string{"有电", "亮", "正常", "好好的", "没停", "没事", "不停"}
	neighbourOff   = []string{"没电", "没有电", "也停", "也黑", "都停", "都黑", "不亮", "也没", "都没", "一样", "也断"}
)

func neighbourScope(norm string, b2r []int) (span, bool) {
	for _, w := range neighbourWords {
		i := strings.Index(norm, w)
		if i < 0 {
			continue
		}
		clause := norm[i:]
		if j := strings.IndexAny(clause, ",.;!?，。；！？ "); j >= 0 {
			clause = clause[:j]
		}
		val := ""
		switch {
		case containsAny(clause, neighbourOff):
			val = ScopeArea
			if strings.Contains(w, "楼") || w == "对门" {
				val = ScopeBuilding
			}
		case containsAny(clause, neighbourOn):
			val = ScopeSelf
		default:
			continue
		}
		return span{EntityScope, val, b2r[i], b2r[i+len(clause)]}, true
	}
	return span{}, false
}

var ratingWords = []struct {
	phrase string
	value  string
}{
	{"非常不满意", "1"}, {"很不满意", "1"}, {"特别不满意", "1"}, {"不太满意", "2"}, {"不怎么满意", "2"}, {"不是很满意", "2"}, {"不满意", "1"},
	{"非常满意", "5"}, {"十分满意", "5"}, {"特别满意", "5"}, {"很满意", "5"}, {"比较满意", "4"}, {"基本满意", "4"}, {"还算满意", "4"}, {"满意", "5"},
	{"很差", "1"}, {"太差", "1"}, {"非常差", "1"}, {"差评", "1"}, {"好评", "5"}, {"还行", "4"}, {"还可以", "4"}, {"一般般", "3"}, {"一般", "3"},
	{"五星", "5"}, {"四星", "4"}, {"三星", "3"}, {"两星", "2"}, {"二星", "2"}, {"一星", "1"},
}

var reRatingDigit = regexp.MustCompile(`([1-5]) ?(?:分|星|颗星)`)
var reRatingBare = regexp.MustCompile(`^(?:打|给|评)?([1-5])(?:分|星)?$`)

func ratings(norm string, b2r []int) []span {
	if !strings.ContainsAny(norm, "满意差评行可般星分12345") {
		return nil
	}
	for _, w := range ratingWords {
		if i := strings.Index(norm, w.phrase); i >= 0 {
			return []span{{EntityRating, w.value, b2r[i], b2r[i+len(w.phrase)]}}
		}
	}
	// The last digit rating counts: in 1到5分我给4分 the scale comes first. 10分 is no rating,
	// and neither is the end of a range (到5分).
	var last []int
	for _, m := range reRatingDigit.FindAllStringSubmatchIndex(norm, -1) {
		before := norm[:m[0]]
		if (m[0] > 0 && isASCIIDigit(rune(norm[m[0]-1]))) || strings.HasSuffix(before, "到") || strings.HasSuffix(before, "至") || strings.HasSuffix(before, "-") || strings.HasSuffix(before, "~") {
			continue
		}
		last = m
	}
	if last != nil {
		return []span{{EntityRating, norm[last[2]:last[3]], b2r[last[0]], b2r[last[1]]}}
	}
	trim := strings.TrimRight(norm, "!.。 ")
	if m := reRatingBare.FindStringSubmatchIndex(trim); m != nil {
		return []span{{EntityRating, trim[m[2]:m[3]], b2r[m[0]], b2r[m[1]]}}
	}
	return nil
}

// timeChars: a time expression contains one of them.
const timeChars = "点时天晚早午周期几刻月号久刚小分凌傍夜候:"

var (
	timeDays = []string{"大后天", "今天", "明天", "后天", "昨天", "前天", "今晚", "明晚", "昨晚", "今早", "明早", "今儿", "明儿",
		"这周一", "这周二", "这周三", "这周四", "这周五", "这周六", "这周日", "这周末", "这周", "下周一", "下周二", "下周三",
		"下周四", "下周五", "下周六", "下周日", "下周", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日",
		"星期天", "周一", "周二", "周三", "周四", "周五", "周六", "周日", "周末"}
	timePeriods = []string{"上午", "下午", "晚上", "早上", "中午", "凌晨", "傍晚", "半夜", "夜里"}
	timeFixed   = []string{"几点", "什么时候", "多久", "多长时间", "刚才", "刚刚"}
)

// times finds time expressions: [day][period][clock] (明天下午3点半), a bare day or period,
// a question (几点, 什么时候) or a duration (3个小时了). Hand-written for speed.
func times(norm string, b2r []int) []span {
	if !strings.ContainsAny(norm, timeChars) {
		return nil
	}
	var out []span
	for i := 0; i < len(norm); {
		j := matchTime(norm, i)
		if j > i {
			out = append(out, span{EntityTime, norm[i:j], b2r[i], b2r[j]})
			i = j
			continue
		}
		_, n := utf8.DecodeRuneInString(norm[i:])
		i += n
	}
	return out
}

func matchTime(s string, i int) int {
	if p := prefixOf(s[i:], timeFixed); p != "" {
		return i + len(p)
	}
	j := i
	// 11月23日 / 23号 as the day part
	if k := digitsAt(s, j); k > j && k-j <= 2 {
		if m := prefixOf(s[k:], []string{"月"}); m != "" {
			if k2 := digitsAt(s, k+len(m)); k2 > k+len(m) {
				if d := prefixOf(s[k2:], []string{"日", "号"}); d != "" {
					j = k2 + len(d)
				}
			}
		}
	}
	if j == i {
		if p := prefixOf(s[j:], timeDays); p != "" {
			j += len(p)
		}
	}
	if p := prefixOf(s[j:], timePeriods); p != "" {
		j += len(p)
	}
	// clock: 3点, 3点半, 3点15分, 15:30, 3点钟左右
	if k := digitsAt(s, j); k > j && k-j <= 2 {
		if u := prefixOf(s[k:], []string{"点", "时", ":"}); u != "" {
			e := k + len(u)
			if m := digitsAt(s, e); m > e && m-e <= 2 {
				e = m
				if f := prefixOf(s[e:], []string{"分"}); f != "" {
					e += len(f)
				}
			} else if f := prefixOf(s[e:], []string{"半", "一刻", "钟"}); f != "" {
				e += len(f)
			}
			if f := prefixOf(s[e:], []string{"左右"}); f != "" {
				e += len(f)
			}
			if u != ":" || e > k+1 {
				return e
			}
		}
		if j == i {
			// a duration: 3个小时了, 2天前
			e := k
			if f := prefixOf(s[e:], []string{"个"}); f != "" {
				e += len(f)
			}
			if u := prefixOf(s[e:], []string{"小时", "分钟", "天"}); u != "" {
				e += len(u)
				if f := prefixOf(s[e:], []string{"之前", "以后", "了", "前", "后"}); f != "" {
					e += len(f)
				}
				return e
			}
		}
	}
	return j
}

func digitsAt(s string, i int) int {
	for i < len(s) && isASCIIDigit(rune(s[i])) {
		i++
	}
	return i
}

func prefixOf(s string, ps []string) string {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return ""
}

// Common surnames, so 我姓X and X先生 are read only when X can be a surname.
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"

var (
	reNameSurname = regexp.MustCompile(`姓(\p{Han})`)
	reNameCalled  = regexp.MustCompile(`(?:我叫|我的名字是|名字叫|我名字叫|我是|叫我|联系人是|联系人)(\p{Han}{2,3})`)
	reNameTitle   = regexp.MustCompile(`(\p{Han})(?:先生|女士|小姐|师傅|阿姨|大爷|大姐|老师|经理)`)
)

var nameTail = []string{"的", "了", "啊", "呀", "吧", "在", "家", "住", "电", "是", "想", "要", "我", "这", "那"}

// notNames are single words that look like a bare name to jieba (雷猴 is Cantonese hello).
var notNames = map[string]bool{"单号": true, "雷猴": true, "谢谢": true, "莫得": true, "莫有": true, "莫非": true, "莫急": true, "高兴": true,
	"安心": true, "方便": true, "江湖": true, "向前": true, "和平": true, "金额": true, "白天": true, "明白": true, "关门": true,
	"钱呢": true, "程序": true, "宁愿": true, "尚可": true, "何时": true, "何必": true, "余额": true, "于是": true, "时候": true}

// repeated reports whether s is one character said again and again (谢谢, 哈哈).
func repeated(s string) bool {
	rs := []rune(s)
	for _, r := range rs[1:] {
		if r != rs[0] {
			return false
		}
	}
	return true
}

// compoundSurnames are the two-character surnames (我姓欧阳 gives 欧阳, not 欧).
var compoundSurnames = []string{"欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫", "司徒", "公孙", "夏侯",
	"尉迟", "长孙", "宇文", "端木", "独孤", "南宫", "西门", "轩辕", "呼延", "申屠", "澹台", "百里", "闻人", "赫连", "钟离"}

var reNameNick = regexp.MustCompile(`(?:叫我|喊我|我是|就叫)((?:小|老)\p{Han})`)

// surnameAt returns the surname (compound first) that s starts with, or "".
func surnameAt(s string) string {
	if c := prefixOf(s, compoundSurnames); c != "" {
		return c
	}
	r, n := utf8.DecodeRuneInString(s)
	if n > 0 && r >= 0x4E00 && strings.ContainsRune(surnames, r) {
		return s[:n]
	}
	return ""
}

func names(norm string, b2r []int, toks []token) []span {
	if strings.ContainsAny(norm, "姓叫是名人生士姐傅姨爷师理我") {
		if sp := markedName(norm, b2r); sp != nil {
			return sp
		}
	}
	// A bare full name as a reply or a clause of it (李建国 / 王建国,13912345678): one token
	// standing alone that jieba tags as a person's name or found only by its HMM (x), starting
	// with a surname.
	rs := []rune(norm)
	alone := func(i int) bool { // start, end, punctuation or space: not inside a word or code
		return i < 0 || i >= len(rs) || !(isHan(rs[i]) || isASCIILetter(rs[i]) || isASCIIDigit(rs[i]))
	}
	for _, t := range toks {
		if t.Tag != "nr" && t.Tag != "x" {
			continue
		}
		if n := runeLen(t.Text); n >= 2 && n <= 4 && surnameAt(t.Text) != "" && alone(t.Start-1) && alone(t.End) &&
			!notNames[t.Text] && !genericYes[t.Text] && !genericNo[t.Text] && !repeated(t.Text) {
			return []span{{EntityName, t.Text, t.Start, t.End}}
		}
	}
	return nil
}

// markedName reads a name introduced by 姓 / 我叫 / 叫我小 or followed by a title (王先生).
func markedName(norm string, b2r []int) []span {
	if m := reNameSurname.FindStringSubmatchIndex(norm); m != nil {
		if s := surnameAt(norm[m[2]:]); s != "" {
			// 姓刘 or 姓欧阳: the value is the surname
			return []span{{EntityName, s, b2r[m[2]], b2r[m[2]+len(s)]}}
		}
	}
	if m := reNameCalled.FindStringSubmatchIndex(norm); m != nil {
		v := []rune(norm[m[2]:m[3]])
		for len(v) > 2 && containsAny(string(v[len(v)-1]), nameTail) {
			v = v[:len(v)-1]
		}
		if sn := surnameAt(string(v)); sn != "" && !containsAny(string(v[1:]), nameTail) {
			return []span{{EntityName, string(v), b2r[m[2]], b2r[m[2]] + len(v)}}
		}
	}
	if m := reNameNick.FindStringSubmatchIndex(norm); m != nil {
		// 叫我小李: the span keeps 小 / 老, the value is the surname
		if s := surnameAt(norm[m[2]+len("小") : m[3]]); s != "" {
			return []span{{EntityName, s, b2r[m[2]], b2r[m[3]]}}
		}
	}
	if m := reNameTitle.FindStringSubmatchIndex(norm); m != nil {
		// 欧阳先生: a compound surname right before the title wins over its last character
		if i := m[2] - len("欧"); i >= 0 {
			if c := prefixOf(norm[i:], compoundSurnames); c != "" && i+len(c) == m[3] {
				return []span{{EntityName, c, b2r[i], b2r[m[3]]}}
			}
		}
		if s := norm[m[2]:m[3]]; strings.Contains(surnames, s) && !strings.HasSuffix(norm[:m[3]], "谢谢") {
			return []span{{EntityName, s, b2r[m[2]], b2r[m[3]]}}
		}
	}
	return nil
}

// dataTypes are the entities that answer a slot question (phone, address, name …).
var dataTypes = map[string]bool{EntityPhone: true, EntityAccount: true, EntityTicketID: true, EntityAddress: true,
	EntityNumber: true, EntityName: true, EntityTime: true, EntityRating: true, EntityScope: true}

// dataFillers are the words around a piece of data in a slot answer: 我的电话是…, 免贵姓张,
// 住在…, 户号是…. Longer words first.
var dataFillers = []string{
	"我的手机号码是", "我的电话号码是", "联系电话是", "联系电话", "电话号码是", "手机号码是", "电话号码", "手机号码", "手机号是", "手机号",
	"我的电话是", "我的电话", "我的手机", "电话是", "手机是", "号码是", "电话", "手机", "号码", "座机", "联系方式",
	"我的户号是", "户号是", "户号", "用户号", "用户编号", "账号是", "账号", "工单号是", "工单号", "单号是", "单号", "编号是", "编号", "工单",
	"我家住在", "我家住", "我家在", "我住在", "我们住在", "家住在", "家住", "住在", "住的是", "住", "地址是", "地址在", "地址", "就在", "在",
	"木子李", "耳东陈", "弓长张", "立早章", "口天吴", "双木林", "古月胡", "草头黄", "言午许", "人可何", "三横王", "免贵姓", "免贵", "我姓", "姓", "我叫", "叫我", "名字叫", "名字是", "我的名字是", "我是", "叫", "先生", "女士", "小姐",
	"就行", "就可以", "就好", "就是", "是", "我的", "我", "的", "就", "哈", "啊", "呀", "吧", "哦", "嗯", "呢", "了", "啦", "那个", "这个", "您记一下", "记一下", "一下",
}

// onlyData reports whether an utterance is nothing but data (a phone, account, ticket id,
// address, name, number or time) and the words that introduce it: such a reply answers a
// slot question and asks for nothing, whatever the digits or place names look like.
func onlyData(norm string, spans []span) bool {
	rs := []rune(norm)
	keep := make([]bool, len(rs))
	for i := range keep {
		keep[i] = true
	}
	found := false
	for _, sp := range spans {
		if !dataTypes[sp.typ] {
			continue
		}
		// A question time (几点 / 什么时候) asks something; a scope alone is data only when it
		// is the whole reply.
		if sp.typ == EntityTime && containsAny(sp.value, []string{"几", "什么", "多久", "多长", "啥", "刚"}) {
			continue
		}
		found = true
		for i := max(sp.s, 0); i < sp.e && i < len(rs); i++ {
			keep[i] = false
		}
	}
	if !found {
		return false
	}
	for _, sp := range spans { // times and short numbers beside real data (明天下午, 3栋) are fine
		if dataTypes[sp.typ] {
			for i := max(sp.s, 0); i < sp.e && i < len(rs); i++ {
				keep[i] = false
			}
		}
	}
	var b strings.Builder
	for i, r := range rs {
		if keep[i] && (isHan(r) || isASCIILetter(r) || isASCIIDigit(r)) {
			b.WriteRune(r)
		} else if keep[i] {
			continue
		} else {
			b.WriteByte(' ')
		}
	}
	for _, piece := range strings.Fields(b.String()) {
		for piece != "" {
			f := prefixOf(piece, dataFillers)
			if f == "" {
				return false
			}
			piece = piece[len(f):]
		}
	}
	return true
}
