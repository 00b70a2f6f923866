package nlu

import (
	"math"
	"math/rand/v2"
	"sort"
)

// features turns one normalised utterance into hashed feature ids: jieba words, character
// 1–3-grams with boundary marks (digits folded to '#') and domain concepts, so unseen wordings
// still share evidence.
type featureSet []uint64

const (
	nsWord  = 0x9e3779b97f4a7c15
	nsChar  = 0xc2b2ae3d27d4eb4f
	fnvOff  = 14695981039346656037
	fnvPrim = 1099511628211
)

func hashRunes(ns uint64, rs []rune) uint64 {
	h := uint64(fnvOff) ^ ns
	for _, r := range rs {
		for r != 0 {
			h ^= uint64(r & 0xff)
			h *= fnvPrim
			r >>= 8
		}
		h ^= 0xff
		h *= fnvPrim
	}
	return h
}

func hashString(ns uint64, s string) uint64 {
	h := uint64(fnvOff) ^ ns
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrim
	}
	return h
}

// Class runes stand for a whole entity in the character stream, so a phone number, an
// account or a ticket id is one symbol of its kind: its digits never form n-grams that look
// like words (88 / 886 are goodbye in chat slang) and a bare number says nothing about intent.
const (
	classNum     = '#'
	classPhone   = '\uE001'
	classAccount = '\uE002'
	classTicket  = '\uE003'
)

func classRune(typ string) rune {
	switch typ {
	case EntityPhone:
		return classPhone
	case EntityAccount:
		return classAccount
	case EntityTicketID:
		return classTicket
	}
	return 0
}

// classOf marks every normalised rune that belongs to a phone, account or ticket entity with
// the entity's class rune; the rest stay zero.
func classOf(n int, spans []span) []rune {
	var cls []rune
	for _, sp := range spans {
		c := classRune(sp.typ)
		if c == 0 {
			continue
		}
		if cls == nil {
			cls = make([]rune, n)
		}
		for i := max(sp.s, 0); i < sp.e && i < n; i++ {
			cls[i] = c
		}
	}
	return cls
}

// extractFeatures builds the feature ids of an utterance from its normalised runes, tokens and
// entity spans (phones, accounts and tickets become class tokens, other digit runs ⟨NUM⟩).
func extractFeatures(rs []rune, toks []token, spans []span, buf featureSet) featureSet {
	f := buf[:0]
	cls := classOf(len(rs), spans)
	for _, t := range toks {
		if isPunctToken(t.Text) {
			continue
		}
		if cls != nil && t.Start < len(cls) && cls[t.Start] != 0 {
			f = append(f, hashRunes(nsWord, []rune{cls[t.Start]}))
			continue
		}
		if isDigitString(t.Text) {
			f = append(f, hashString(nsWord, "#num"))
			continue
		}
		f = append(f, hashString(nsWord, lower(t.Text)))
	}
	// Character stream: Han, letters (lower case), digits and entities folded to their class
	// rune; punctuation dropped.
	cs := make([]rune, 0, len(rs)+2)
	cs = append(cs, '^')
	for i, r := range rs {
		if cls != nil && cls[i] != 0 {
			if cs[len(cs)-1] != cls[i] {
				cs = append(cs, cls[i])
			}
			continue
		}
		switch {
		case isASCIIDigit(r):
			if cs[len(cs)-1] != classNum {
				cs = append(cs, classNum)
			}
		case isASCIILetter(r):
			cs = append(cs, r|0x20)
		case isHan(r):
			cs = append(cs, r)
		}
	}
	cs = append(cs, '$')
	for i := 1; i < len(cs)-1; i++ {
		f = append(f, hashRunes(nsChar, cs[i:i+1]))
	}
	for n := 2; n <= 3; n++ {
		for i := 0; i+n <= len(cs); i++ {
			f = append(f, hashRunes(nsChar, cs[i:i+n]))
		}
	}
	if len(cs) <= 4 { // very short utterances: a whole-utterance feature
		f = append(f, hashRunes(nsChar^1, cs))
	}
	f = conceptFeatures(string(rs), f)
	sort.Slice(f, func(i, j int) bool { return f[i] < f[j] })
	// dedupe
	out := f[:0]
	for i, x := range f {
		if i == 0 || x != f[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func isPunctToken(s string) bool {
	for _, r := range s {
		if isHan(r) || isASCIIDigit(r) || isASCIILetter(r) {
			return false
		}
	}
	return true
}

func isDigitString(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isASCIIDigit(r) && r != '.' {
			return false
		}
	}
	return true
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// softmaxClassifier is multinomial logistic regression over hashed binary features, each
// vector scaled to unit length. Probabilities are calibrated by a temperature fitted on a
// held-out split at training time.
type softmaxClassifier struct {
	classes []string
	index   map[uint64]int32
	w       []float32 // len(index)*len(classes)
	bias    []float32
	temp    float64
}

type example struct {
	feats featureSet
	class int
}

type trainParams struct {
	Epochs int
	Rate   float64
	L2     float64
	Seed   uint64
	// Balanced weighs each class inversely to its example count, so the many out_of_scope
	// examples do not pull borderline utterances away from the smaller intents.
	Balanced bool
}

func trainSoftmax(classes []string, data []example, p trainParams) *softmaxClassifier {
	c := &softmaxClassifier{classes: classes, index: map[uint64]int32{}, temp: 1}
	for _, ex := range data {
		for _, f := range ex.feats {
			if _, ok := c.index[f]; !ok {
				c.index[f] = int32(len(c.index))
			}
		}
	}
	k := len(classes)
	c.w = make([]float32, len(c.index)*k)
	c.bias = make([]float32, k)
	// Pre-resolve feature ids.
	ids := make([][]int32, len(data))
	for i, ex := range data {
		ids[i] = make([]int32, len(ex.feats))
		for j, f := range ex.feats {
			ids[i][j] = c.index[f]
		}
	}
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(p.Seed, p.Seed^0x5bd1e995))
	scores := make([]float64, k)
	cw := make([]float64, k)
	for i := range cw {
		cw[i] = 1
	}
	if p.Balanced {
		counts := make([]float64, k)
		for _, ex := range data {
			counts[ex.class]++
		}
		mean := float64(len(data)) / float64(k)
		for i, n := range counts {
			if n > 0 {
				cw[i] = math.Sqrt(mean / n)
			}
		}
	}
	// AdaGrad keeps rare but decisive features (漏保, 窃电) learning as fast as common ones.
	g2 := make([]float32, len(c.w))
	gb := make([]float32, k)
	for ep := 0; ep < p.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			fs := ids[i]
			if len(fs) == 0 {
				continue
			}
			x := 1 / math.Sqrt(float64(len(fs)))
			c.scoreIDs(fs, x, scores)
			softmaxInPlace(scores, 1)
			for cl := 0; cl < k; cl++ {
				g := scores[cl]
				if cl == data[i].class {
					g -= 1
				}
				g *= cw[data[i].class]
				gb[cl] += float32(g * g)
				c.bias[cl] -= float32(p.Rate * g / math.Sqrt(float64(gb[cl])+1e-8))
				for _, f := range fs {
					idx := int(f)*k + cl
					gw := g*x + p.L2*float64(c.w[idx])
					g2[idx] += float32(gw * gw)
					c.w[idx] -= float32(p.Rate * gw / math.Sqrt(float64(g2[idx])+1e-8))
				}
			}
		}
	}
	return c
}

func (c *softmaxClassifier) scoreIDs(ids []int32, x float64, out []float64) {
	k := len(c.classes)
	for cl := 0; cl < k; cl++ {
		out[cl] = float64(c.bias[cl])
	}
	for _, f := range ids {
		row := c.w[int(f)*k : int(f)*k+k]
		for cl, v := range row {
			out[cl] += float64(v) * x
		}
	}
}

// logits writes the raw class scores of a feature set into out.
func (c *softmaxClassifier) logits(feats featureSet, out []float64) {
	k := len(c.classes)
	for cl := 0; cl < k; cl++ {
		out[cl] = float64(c.bias[cl])
	}
	n := 0
	for _, f := range feats {
		if _, ok := c.index[f]; ok {
			n++
		}
	}
	if n == 0 {
		return
	}
	// Scale by the full feature count so unknown words still dilute the known evidence.
	x := 1 / math.Sqrt(float64(len(feats)))
	for _, f := range feats {
		id, ok := c.index[f]
		if !ok {
			continue
		}
		row := c.w[int(id)*k : int(id)*k+k]
		for cl, v := range row {
			out[cl] += float64(v) * x
		}
	}
}

// Predict returns calibrated class probabilities.
func (c *softmaxClassifier) Predict(feats featureSet, out []float64) {
	c.logits(feats, out)
	softmaxInPlace(out, c.temp)
}

func softmaxInPlace(z []float64, temp float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	sum := 0.0
	for i, v := range z {
		z[i] = math.Exp((v - m) / temp)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// fitTemperature picks the softmax temperature that minimises the negative log-likelihood of
// held-out examples, the standard post-hoc calibration of a discriminative classifier.
func (c *softmaxClassifier) fitTemperature(held []example) float64 {
	if len(held) == 0 {
		return 1
	}
	logits := make([][]float64, len(held))
	for i, ex := range held {
		logits[i] = make([]float64, len(c.classes))
		c.logits(ex.feats, logits[i])
	}
	best, bestNLL := 1.0, math.Inf(1)
	p := make([]float64, len(c.classes))
	for t := 0.3; t <= 4.0; t += 0.05 {
		nll := 0.0
		for i, ex := range held {
			copy(p, logits[i])
			softmaxInPlace(p, t)
			nll -= math.Log(max(p[ex.class], 1e-12))
		}
		if nll < bestNLL {
			best, bestNLL = t, nll
		}
	}
	return best
}
