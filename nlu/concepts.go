package nlu

import (
	"strings"
	"unicode/utf8"
)

// concepts group the many ways customers name the same thing (没电 / 停电 / 黑了 / 跳闸) into
// one feature, so a wording the training examples lack still shares their evidence.
var concepts = []struct {
	name  string
	words []string
}{
	{"outage", []string{"没电", "停电", "断电", "黑了", "没得电", "没有电", "跳闸", "跳了", "漏保", "空开", "总闸", "电闸", "保险丝", "熔丝", "保险烧", "不来电", "没来电", "掉闸", "拉闸", "开关掉", "闸掉", "开关跳"}},
	{"quality", []string{"电压", "忽明忽暗", "闪", "不稳", "电压低", "带不动", "启动不了", "转不动", "暗"}},
	{"danger", []string{"冒烟", "着火", "起火", "打火", "火花", "触电", "电到", "电线断", "线断了", "杆断", "线被", "掉地上", "倒了", "歪了", "爆", "烧焦", "危险", "隐患", "裸露"}},
	{"when", []string{"什么时候", "几点", "多久", "多长时间", "啥时候", "何时", "到什么时候"}},
	{"progress", []string{"进度", "工单", "报修单", "处理得", "处理了", "到哪了", "还没来", "怎么还没", "出发", "回复", "结果"}},
	{"money", []string{"电费", "费用", "多少钱", "余额", "欠费", "账单", "电价", "度电", "用电量", "扣费"}},
	{"pay", []string{"交", "缴", "充值", "买电", "充钱", "支付宝", "微信", "网上国网", "代扣", "发票", "付款"}},
	{"apply", []string{"办理", "申请", "新装", "报装", "过户", "更名", "销户", "增容", "减容", "移表", "充电桩", "光伏", "峰谷", "临时用电", "手续", "材料", "开户"}},
	{"complain", []string{"投诉", "态度差", "态度很差", "态度太差", "态度极差", "态度恶劣", "态度不好", "态度问题", "态度的问题", "什么态度", "态度很横", "态度还很横", "不满", "太差", "不像话", "推诿", "乱收费", "不作为", "不负责", "不专业", "不及时", "不耐烦", "没人管", "敷衍", "过分", "什么服务"}},
	{"report", []string{"举报", "偷电", "窃电", "私拉", "私接", "乱接", "绕表", "改表", "偷电缆", "偷线", "红包", "吃拿卡要", "好处费", "索要"}},
	{"suggest", []string{"建议", "希望", "能不能", "最好", "应该", "要是能", "如果能", "提个", "意见"}},
	{"praise", []string{"态度很好", "态度挺好", "态度特别好", "态度非常好", "态度真好", "态度好", "态度不错", "服务很好", "服务好", "服务周到", "服务到位", "表扬", "点赞", "锦旗", "好评", "负责", "专业", "辛苦", "热情", "耐心", "及时", "很快", "给力", "感谢你们", "感谢师傅"}},
	{"human", []string{"人工", "真人", "客服", "接线员", "话务员", "机器人"}},
}

// conceptFeatures adds the concepts named in s. Everyday phrases that contain a danger word
// (网线断了, 打火机) are blanked first, so they do not count as danger.
func conceptFeatures(s string, f featureSet) featureSet {
	s = blank(s, safetyExclusions)
	for _, c := range concepts {
		for _, w := range c.words {
			if containsUnnegated(s, w) {
				f = append(f, hashString(nsWord^4, c.name))
				break
			}
		}
	}
	return f
}

// containsUnnegated finds w in s not right after 不 or 没: 不负责 is no praise and 没跳闸 no
// outage, unless the concept word itself holds the negation (不稳, 没电).
func containsUnnegated(s, w string) bool {
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		before := s[:i]
		neg := strings.HasSuffix(before, "不") || strings.HasSuffix(before, "没")
		if neg {
			// 欠没欠费 / 停不停电 ask a question (A-not-A); they negate nothing.
			first, _ := utf8.DecodeRuneInString(w)
			rs := []rune(before)
			neg = len(rs) < 2 || rs[len(rs)-2] != first
		}
		if !neg {
			return true
		}
		off = i + len(w)
	}
	return false
}
