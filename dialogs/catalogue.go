package dialogs

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The prompt catalogue and the knowledge file are data, not code, so that service staff
// can reword an answer without touching a state machine.
var (
	//go:embed prompts.yaml
	promptsYAML []byte
	//go:embed knowledge.yaml
	knowledgeYAML []byte
)

// prompt is one customer-facing text with its quick replies.
type prompt struct {
	Text    string   `yaml:"text"`
	Choices []string `yaml:"choices"`
}

// loadPrompts parses the catalogue and checks that every key the machines use is present.
func loadPrompts(data []byte) (map[string]prompt, error) {
	var p map[string]prompt
	if err := yaml.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPrompts, err)
	}
	var missing []string
	for _, k := range requiredPrompts() {
		if strings.TrimSpace(p[k].Text) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%w: missing %s", ErrPrompts, strings.Join(missing, ", "))
	}
	return p, nil
}

// requiredPrompts lists every key the code looks up.
func requiredPrompts() []string {
	keys := []string{
		"greeting", "greet_again", "returned", "anything_else", "not_understood", "ask.menu",
		"closing_end", "closing_end_unrated", "not_verified_end", "followup_thanks",
		"followup_sorry", "safety_advice", "emergency_done", "soothe", "agitation_handoff",
		"handoff_lead", "handoff_wait", "handoff_declined", "callback_done",
		"fault_start", "outage_item", "fault_known_outage", "fault_repeat_consult",
		"fault_no_outage", "meter_side", "fault_uncertain", "status_item_repair", "restored_ok", "electrician_done",
		"electrician_declined", "repair_done", "quality_start", "quality_lead", "quality_done",
		"outage_info_found", "outage_info_none", "outage_info_upcoming",
		"bill_not_found", "bill_verified", "bill_arrears", "bill_prepaid", "bill_give_up",
		"verify_failed", "verify_retry", "status_item", "status_none", "status_give_up",
		"knowledge_none", "skip_name", "skip_phone", "skip_address", "skip_detail",
		"calm_insult", "topic_change", "praise_aside", "no_contact_handoff",
		"anything_else_resume", "resume", "complaint_recorded", "breaker_holds", "detail_noted",
	}
	for _, kind := range []string{KindComplaint, KindReport, KindSuggestion, KindPraise} {
		keys = append(keys, kind+"_start", kind+"_done")
	}
	for step := range stepExpect {
		keys = append(keys, "ask."+step)
	}
	return keys
}

// knowledgeEntry is one answer of the payment and business knowledge file.
type knowledgeEntry struct {
	ID       string   `yaml:"id"`
	Title    string   `yaml:"title"`
	Intents  []string `yaml:"intents"`
	Keywords []string `yaml:"keywords"`
	Answer   string   `yaml:"answer"`
	// Default marks the answer given for its intents when no keyword matches.
	Default bool `yaml:"default"`
}

// loadKnowledge parses the knowledge file and rejects entries that could never match.
func loadKnowledge(data []byte) ([]knowledgeEntry, error) {
	var k []knowledgeEntry
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKnowledge, err)
	}
	seen := map[string]bool{}
	for i, e := range k {
		switch {
		case e.ID == "" || seen[e.ID]:
			return nil, fmt.Errorf("%w: entry %d: empty or duplicate id %q", ErrKnowledge, i, e.ID)
		case len(e.Keywords) == 0 || strings.TrimSpace(e.Answer) == "" || e.Title == "":
			return nil, fmt.Errorf("%w: entry %q needs title, keywords and answer", ErrKnowledge, e.ID)
		}
		seen[e.ID] = true
	}
	if len(k) == 0 {
		return nil, fmt.Errorf("%w: no entries", ErrKnowledge)
	}
	return k, nil
}

// matchKnowledge returns the entry whose keywords best cover the text, preferring entries
// of the given intent; ok is false when no keyword occurs.
func matchKnowledge(entries []knowledgeEntry, intent, text string) (knowledgeEntry, bool) {
	best, bestScore := knowledgeEntry{}, 0
	for _, e := range entries {
		score := 0
		for _, kw := range e.Keywords {
			if strings.Contains(text, kw) {
				score += 10 + len([]rune(kw))
			}
		}
		if score == 0 {
			continue
		}
		for _, in := range e.Intents {
			if in == intent {
				score += 5
			}
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	if bestScore > 0 {
		return best, true
	}
	for _, e := range entries {
		if !e.Default {
			continue
		}
		for _, in := range e.Intents {
			if in == intent {
				return e, true
			}
		}
	}
	return knowledgeEntry{}, false
}
