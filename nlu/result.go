package nlu

// Intent names are part of the public contract (contract §1): other tools compare them as
// strings, so they never change spelling.
const (
	IntentGreet           = "greet"
	IntentGoodbye         = "goodbye"
	IntentThanks          = "thanks"
	IntentAffirm          = "affirm"
	IntentDeny            = "deny"
	IntentPowerOutage     = "power_outage"
	IntentPowerQuality    = "power_quality"
	IntentSafetyHazard    = "safety_hazard"
	IntentOutageInfo      = "outage_info"
	IntentTicketStatus    = "ticket_status"
	IntentBillQuery       = "bill_query"
	IntentPayment         = "payment"
	IntentBusiness        = "business"
	IntentComplaint       = "complaint"
	IntentReportViolation = "report_violation"
	IntentSuggestion      = "suggestion"
	IntentPraise          = "praise"
	IntentHumanAgent      = "human_agent"
	IntentOutOfScope      = "out_of_scope"
)

// Intents lists every contract intent in a stable order, for reports and training checks.
var Intents = []string{
	IntentGreet, IntentGoodbye, IntentThanks, IntentAffirm, IntentDeny,
	IntentPowerOutage, IntentPowerQuality, IntentSafetyHazard, IntentOutageInfo,
	IntentTicketStatus, IntentBillQuery, IntentPayment, IntentBusiness, IntentComplaint,
	IntentReportViolation, IntentSuggestion, IntentPraise, IntentHumanAgent, IntentOutOfScope,
}

// Entity types (contract §2 lists the first seven; the rest are extensions).
const (
	EntityPhone    = "phone"     // mobile or landline, digits only in Value
	EntityAccount  = "account"   // 户号, digits only in Value
	EntityTicketID = "ticket_id" // as issued by the bot, upper case in Value
	EntityAddress  = "address"   // the address phrase as written (simplified)
	EntityScope    = "scope"     // ScopeSelf | ScopeBuilding | ScopeArea
	EntityNumber   = "number"    // a plain number, Arabic digits in Value
	EntityRating   = "rating"    // "1".."5"
	EntityTime     = "time"      // a time expression as written (simplified)
	EntityName     = "name"      // a person's name or surname (姓刘 → 刘)
)

// Outage scope values of the scope entity.
const (
	ScopeSelf     = "self"
	ScopeBuilding = "building"
	ScopeArea     = "area"
)

// Polarity values: a yes/no reading of the utterance, independent of the intent, so a
// dialog waiting for yes/no can read "跳了" (affirm) and "没跳" (deny) even though their
// intent is power_outage.
const (
	PolarityNone = ""
	PolarityYes  = "yes"
	PolarityNo   = "no"
)

// Entity is one thing found in the text. Start and End are rune offsets into Result.Text
// (the original input), End exclusive.
type Entity struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Result is the understanding of one utterance. Its JSON form is the `dianbao nlu` output
// line of contract §2; fields beyond the contract are extensions.
type Result struct {
	Text       string   `json:"text"`
	Intent     string   `json:"intent"`
	Confidence float64  `json:"confidence"`
	Entities   []Entity `json:"entities"`
	Tokens     []string `json:"tokens"`
	// Normalized is the text after normalisation (simplified, half-width, digits).
	Normalized string `json:"normalized,omitempty"`
	// Polarity is the yes/no reading (PolarityYes, PolarityNo or PolarityNone).
	Polarity string `json:"polarity,omitempty"`
	// Agitation in [0,1]: insults, escalation threats (投诉/12345/12398/曝光/媒体/起诉),
	// exclamations and repetition. Dialogs escalate above a configured threshold.
	Agitation float64 `json:"agitation"`
	// Ranking holds the best few intents with their probabilities, best first.
	Ranking []IntentScore `json:"ranking,omitempty"`
}

// IntentScore is one candidate intent with its calibrated probability.
type IntentScore struct {
	Intent     string  `json:"intent"`
	Confidence float64 `json:"confidence"`
}

// First returns the first entity of the given type and whether there was one.
func (r Result) First(typ string) (Entity, bool) {
	for _, e := range r.Entities {
		if e.Type == typ {
			return e, true
		}
	}
	return Entity{}, false
}
