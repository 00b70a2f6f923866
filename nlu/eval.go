package nlu

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// EvalCase is one labelled line of an evaluation file.
type EvalCase struct {
	Line      int
	Accept    []string // acceptable intents (a|b)
	Text      string
	Predicted string
	Correct   bool
}

// IntentStats are the per-intent counts and scores of a report.
type IntentStats struct {
	Intent                string
	TP, FP, FN            int
	Precision, Recall, F1 float64
	Support               int
}

// Confusion is a gold → predicted pair that went wrong, with how often.
type Confusion struct {
	Gold, Predicted string
	Count           int
}

// Report is the result of Evaluate.
type Report struct {
	Cases      []EvalCase
	PerIntent  []IntentStats
	Confusions []Confusion
	Correct    int
	Total      int
}

// Accuracy is the share of cases whose prediction was one of the accepted intents.
func (r Report) Accuracy() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Correct) / float64(r.Total)
}

// Evaluate parses every `intent<TAB>utterance` line of r (`#` comments, `a|b` alternatives)
// and scores the parser. A case counts for the first accepted intent unless another accepted
// one was predicted.
func Evaluate(p *Parser, r io.Reader) (Report, error) {
	var rep Report
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(strings.TrimSpace(raw), "#") || strings.TrimSpace(raw) == "" {
			continue
		}
		label, text, ok := strings.Cut(raw, "\t")
		if !ok {
			return rep, fmt.Errorf("%w: line %d: want intent<TAB>utterance", ErrEvalInput, line)
		}
		var accept []string
		for _, a := range strings.Split(label, "|") {
			a = strings.TrimSpace(a)
			if !slices.Contains(Intents, a) {
				return rep, fmt.Errorf("%w: line %d: unknown intent %q", ErrEvalInput, line, a)
			}
			accept = append(accept, a)
		}
		res := p.Parse(text)
		c := EvalCase{Line: line, Accept: accept, Text: text, Predicted: res.Intent, Correct: slices.Contains(accept, res.Intent)}
		rep.Cases = append(rep.Cases, c)
		rep.Total++
		if c.Correct {
			rep.Correct++
		}
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("%w: %v", ErrEvalInput, err)
	}
	stats := map[string]*IntentStats{}
	for _, in := range Intents {
		stats[in] = &IntentStats{Intent: in}
	}
	conf := map[[2]string]int{}
	for _, c := range rep.Cases {
		gold := c.Accept[0]
		if c.Correct {
			gold = c.Predicted
		}
		stats[gold].Support++
		if c.Correct {
			stats[gold].TP++
		} else {
			stats[gold].FN++
			stats[c.Predicted].FP++
			conf[[2]string{gold, c.Predicted}]++
		}
	}
	for _, in := range Intents {
		s := stats[in]
		s.Precision = ratio(s.TP, s.TP+s.FP)
		s.Recall = ratio(s.TP, s.TP+s.FN)
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		rep.PerIntent = append(rep.PerIntent, *s)
	}
	for k, n := range conf {
		rep.Confusions = append(rep.Confusions, Confusion{k[0], k[1], n})
	}
	sort.Slice(rep.Confusions, func(i, j int) bool {
		a, b := rep.Confusions[i], rep.Confusions[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Gold+a.Predicted < b.Gold+b.Predicted
	})
	return rep, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// WriteTo prints the report as `dianbao nlu eval` shows it: the per-intent table, the most
// frequent confusions with an example each, and last the accuracy line.
func (r Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s %9s %9s %9s %8s\n", "intent", "precision", "recall", "f1", "support")
	for _, s := range r.PerIntent {
		if s.Support == 0 && s.FP == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-18s %9.3f %9.3f %9.3f %8d\n", s.Intent, s.Precision, s.Recall, s.F1, s.Support)
	}
	if len(r.Confusions) > 0 {
		fmt.Fprintf(&b, "\nconfusions (gold -> predicted):\n")
		for i, c := range r.Confusions {
			if i == 15 {
				break
			}
			ex := ""
			for _, cs := range r.Cases {
				if !cs.Correct && cs.Accept[0] == c.Gold && cs.Predicted == c.Predicted {
					ex = cs.Text
					break
				}
			}
			fmt.Fprintf(&b, "  %3d  %s -> %s  e.g. %s\n", c.Count, c.Gold, c.Predicted, ex)
		}
	}
	fmt.Fprintf(&b, "\naccuracy: %.3f (%d/%d)\n", r.Accuracy(), r.Correct, r.Total)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
