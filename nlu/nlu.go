// Package nlu understands one customer utterance of the 95598 line: it normalises the text
// (traditional → simplified, full-width, spoken digits), segments it with jieba and a domain
// dictionary, classifies the intent with a logistic-regression model trained at start-up from
// the embedded examples, and extracts entities, a yes/no polarity and an agitation score.
package nlu

import (
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// trainingYAML maps each intent to its example utterances.
//
//go:embed intents.yaml
var trainingYAML []byte

// Config holds the parser's tunables; the zero value gives the defaults.
type Config struct {
	// AccountLengths lists the digit counts of an account number (户号); default {10}.
	AccountLengths []int
	// OutOfScopeThreshold: below this top probability the intent is out_of_scope; default 0.3.
	OutOfScopeThreshold float64
	// Temperature of the softmax; 0 fits it on a held-out split of the training data.
	Temperature float64
	// DictDir holds jieba.dict.utf8 and hmm_model.utf8 to use instead of the dictionaries
	// embedded in the binary; default: the embedded ones.
	DictDir string
	// MinWordFreq drops jieba dictionary words rarer than this (memory and start-up); default
	// DefaultMinWordFreq. The embedded dictionary is trimmed to the default already, so 1 keeps
	// the whole dictionary only of a DictDir one.
	MinWordFreq int
	// Training replaces the embedded intents.yaml (same format), for experiments and tests.
	Training []byte
	// Logger receives start-up information; default discards.
	Logger *slog.Logger
}

// DefaultOutOfScopeThreshold is the probability under which no intent is trusted.
const DefaultOutOfScopeThreshold = 0.3

// DefaultMinWordFreq keeps the jieba words seen at least this often in its corpus.
const DefaultMinWordFreq = 5

// Parser understands utterances. It is built once (dictionaries and training take about a
// second of CPU) and is safe for concurrent use.
type Parser struct {
	cfg     Config
	log     *slog.Logger
	norm    normalizer
	seg     *segmenter
	hom     *homophones
	clf     *softmaxClassifier
	ent     entityExtractor
	answers answerIndex
	// mu lets Close wait for running Parse calls before freeing the C resources.
	mu     sync.RWMutex
	closed bool
	// examples is the number of training utterances, for the start-up log.
	examples int
}

var trainParamsDefault = trainParams{Epochs: 12, Rate: 0.3, L2: 1e-4, Seed: 95598, Balanced: true}

// New loads the dictionaries and trains the intent classifier.
func New(cfg Config) (*Parser, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(cfg.AccountLengths) == 0 {
		cfg.AccountLengths = []int{10}
	}
	for _, n := range cfg.AccountLengths {
		if n < 4 || n > 20 {
			return nil, fmt.Errorf("%w: account length %d outside 4..20", ErrConfig, n)
		}
	}
	if cfg.MinWordFreq == 0 {
		cfg.MinWordFreq = DefaultMinWordFreq
	}
	if cfg.MinWordFreq < 0 {
		return nil, fmt.Errorf("%w: negative MinWordFreq", ErrConfig)
	}
	if cfg.OutOfScopeThreshold == 0 {
		cfg.OutOfScopeThreshold = DefaultOutOfScopeThreshold
	}
	if cfg.OutOfScopeThreshold < 0 || cfg.OutOfScopeThreshold >= 1 {
		return nil, fmt.Errorf("%w: out_of_scope threshold %v outside [0,1)", ErrConfig, cfg.OutOfScopeThreshold)
	}
	if cfg.Temperature < 0 {
		return nil, fmt.Errorf("%w: negative temperature", ErrConfig)
	}
	data := cfg.Training
	if data == nil {
		data = trainingYAML
	}
	start := time.Now()
	p := &Parser{cfg: cfg, log: cfg.Logger, ent: entityExtractor{accountLens: map[int]bool{}}, answers: newAnswerIndex()}
	for _, n := range cfg.AccountLengths {
		p.ent.accountLens[n] = true
	}

	// jieba's dictionary load dominates start-up; the rest is prepared beside it.
	var (
		wg     sync.WaitGroup
		segErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.seg, segErr = newSegmenter(cfg.DictDir, cfg.MinWordFreq)
	}()
	examples, err := parseTraining(data)
	if err == nil {
		var cc *openCC
		cc, err = newOpenCC("t2s.json")
		p.norm.t2s = cc
		if err == nil {
			p.norm.traditional = traditionalRunes(cc)
		}
	}
	p.hom = newHomophones()
	wg.Wait()
	if err == nil {
		err = segErr
	}
	if err != nil {
		p.Close()
		return nil, err
	}
	loaded := time.Since(start)

	exs := make([]example, 0, 2048)
	classIdx := map[string]int{}
	for i, c := range Intents {
		classIdx[c] = i
	}
	for _, e := range examples {
		exs = append(exs, example{feats: p.front(e.text).feats, class: classIdx[e.intent]})
	}
	// The calibration probe (trained without a held-out split) and the final model train on
	// the two cores at once.
	temp := cfg.Temperature
	if temp == 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			train, held := splitHeldOut(exs, 7)
			temp = trainSoftmax(Intents, train, trainParamsDefault).fitTemperature(held)
		}()
	}
	p.clf = trainSoftmax(Intents, exs, trainParamsDefault)
	wg.Wait()
	p.clf.temp = temp
	p.examples = len(exs)
	p.log.Info("nlu ready", "examples", len(exs), "features", len(p.clf.index),
		"temperature", fmt.Sprintf("%.2f", temp), "dictionaries", loaded.Round(time.Millisecond),
		"total", time.Since(start).Round(time.Millisecond))
	return p, nil
}

// Close frees the C resources (jieba, OpenCC). Parse after Close answers out_of_scope.
func (p *Parser) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	if p.seg != nil {
		p.seg.Close()
	}
	if p.norm.t2s != nil {
		p.norm.t2s.Close()
	}
}

type labelled struct{ intent, text string }

// parseTraining reads the intent → examples YAML and checks that every contract intent has
// examples and no unknown intent appears.
func parseTraining(data []byte) ([]labelled, error) {
	var m map[string][]string
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrainingData, err)
	}
	var out []labelled
	for _, in := range Intents {
		if len(m[in]) == 0 {
			return nil, fmt.Errorf("%w: no examples for intent %q", ErrTrainingData, in)
		}
		for _, t := range m[in] {
			if strings.TrimSpace(t) != "" {
				out = append(out, labelled{in, t})
			}
		}
	}
	for k := range m {
		if !slices.Contains(Intents, k) {
			return nil, fmt.Errorf("%w: unknown intent %q", ErrTrainingData, k)
		}
	}
	return out, nil
}

// splitHeldOut keeps every k-th example of each class (after a fixed shuffle) for calibration.
func splitHeldOut(exs []example, k int) (train, held []example) {
	idx := make([]int, len(exs))
	for i := range idx {
		idx[i] = i
	}
	rng := rand.New(rand.NewPCG(7, 11))
	rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	seen := map[int]int{}
	for _, i := range idx {
		c := exs[i].class
		seen[c]++
		if seen[c]%k == 0 {
			held = append(held, exs[i])
		} else {
			train = append(train, exs[i])
		}
	}
	return train, held
}

// analysis is what the shared front end makes of one utterance.
type analysis struct {
	n     *normText
	norm  string
	toks  []token
	spans []span // entities, in normalised rune offsets
	feats featureSet
}

// front runs the shared front end: normalisation, homophone repair, segmentation, entities
// and features. Training and Parse both use it, so they see the same features.
func (p *Parser) front(text string) analysis {
	n := p.norm.Normalize(text)
	p.hom.Fix(n.Runes) // in place: same length, so the offset map stays valid
	s := string(n.Runes)
	toks := p.seg.Segment(s)
	spans := p.ent.extract(s, toks)
	return analysis{n: n, norm: s, toks: toks, spans: spans, feats: extractFeatures(n.Runes, toks, spans, make(featureSet, 0, 96))}
}

// analyse returns the normalised text, tokens and features of an utterance.
func (p *Parser) analyse(text string) (*normText, []token, featureSet) {
	a := p.front(text)
	return a.n, a.toks, a.feats
}

// Parse understands one utterance. It never fails: empty or meaningless input is out_of_scope.
func (p *Parser) Parse(text string) Result {
	res := Result{Text: text, Intent: IntentOutOfScope, Entities: []Entity{}, Tokens: []string{}}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return res
	}
	a := p.front(text)
	n, toks, norm := a.n, a.toks, a.norm
	res.Normalized = norm
	for _, t := range toks {
		if !isPunctToken(t.Text) {
			res.Tokens = append(res.Tokens, t.Text)
		}
	}
	for _, sp := range a.spans {
		s, e := n.origSpan(sp.s, sp.e)
		if e <= s {
			continue
		}
		res.Entities = append(res.Entities, Entity{Type: sp.typ, Value: sp.value, Start: s, End: e})
	}
	res.Agitation = round3(agitation(text, norm))
	if !hasContent(n.Runes) {
		res.Confidence = 1
		return res
	}
	p.decide(&res, a)
	return res
}

// leadOverrides are the intents a leading yes or no outranks: the classifier reads them off the
// small talk or data after the answer (行,那我先挂了 stays goodbye).
var leadOverrides = map[string]bool{IntentGreet: true, IntentOutOfScope: true}

// decide picks the intent and polarity: the classifier's reading, overruled where a rule knows
// better (a bare yes or no, danger, a request for a person, an answer that only gives data).
func (p *Parser) decide(res *Result, a analysis) {
	probs := make([]float64, len(Intents))
	p.clf.Predict(a.feats, probs)
	order := make([]int, len(probs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	for _, i := range order[:3] {
		res.Ranking = append(res.Ranking, IntentScore{Intents[i], round3(probs[i])})
	}
	best := order[0]
	res.Intent, res.Confidence = Intents[best], probs[best]

	low := strings.ToLower(a.norm)
	pol, kind := polarity(p.answers, low)
	res.Polarity = pol
	prob := func(in string) float64 { return probs[slices.Index(Intents, in)] }
	switch {
	case kind == answerPure && pol == PolarityYes:
		res.Intent, res.Confidence = IntentAffirm, max(prob(IntentAffirm), 0.9)
	case (kind == answerPure || kind == answerState) && pol == PolarityNo:
		// 没有 / 没跳闸 / 总闸好好的: a bare no, or a device reported as fine.
		res.Intent, res.Confidence = IntentDeny, max(prob(IntentDeny), 0.9)
	default:
		if i, _ := findPhrase(low, safetyPhrases, safetyExclusions); i >= 0 {
			res.Intent, res.Confidence = IntentSafetyHazard, max(prob(IntentSafetyHazard), 0.9)
		} else if i, _ := findPhrase(low, humanPhrases, nil); i >= 0 {
			res.Intent, res.Confidence = IntentHumanAgent, max(prob(IntentHumanAgent), 0.9)
		} else if kind == answerLead && leadOverrides[res.Intent] {
			// 可以,你们派人来吧 / 不对,是139…: the answer comes first; what follows is no
			// greeting or farewell.
			res.Intent = IntentAffirm
			if pol == PolarityNo {
				res.Intent = IntentDeny
			}
			res.Confidence = max(prob(res.Intent), 0.8)
		} else if pol == PolarityNone && onlyData(a.norm, a.spans) {
			// 13912345678 / 人民路12号 / 免贵姓张: the answer to a slot question, no request.
			res.Intent, res.Confidence = IntentOutOfScope, max(prob(IntentOutOfScope), 0.9)
		} else if res.Confidence < p.cfg.OutOfScopeThreshold {
			res.Intent, res.Confidence = IntentOutOfScope, 1-res.Confidence
		}
	}
	if res.Intent == IntentGreet {
		p.afterGreeting(res, a.norm)
	}
	res.Confidence = round3(res.Confidence)
}

// afterGreeting reads past an opening 喂喂 听得到不 / 你好: when what follows the first clause is
// a request of its own, that request is the intent, not the greeting.
func (p *Parser) afterGreeting(res *Result, norm string) {
	i := strings.IndexAny(norm, ",.!?;: ")
	if i < 0 {
		return
	}
	rest := strings.TrimLeft(norm[i:], ",.!?;: ")
	if !hasContent([]rune(rest)) {
		return
	}
	b := p.front(rest)
	probs := make([]float64, len(Intents))
	p.clf.Predict(b.feats, probs)
	best := 0
	for j := range probs {
		if probs[j] > probs[best] {
			best = j
		}
	}
	if in := Intents[best]; in != IntentGreet && in != IntentOutOfScope && probs[best] >= p.cfg.OutOfScopeThreshold {
		res.Intent, res.Confidence = in, probs[best]
	}
}

func hasContent(rs []rune) bool {
	for _, r := range rs {
		if isHan(r) || isASCIILetter(r) || isASCIIDigit(r) {
			return true
		}
	}
	return false
}

func round3(f float64) float64 {
	return float64(int(f*1000+0.5)) / 1000
}
