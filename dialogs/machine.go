package dialogs

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"dianbao/nlu"
)

// Config configures the machine. Zero fields take the defaults of DefaultConfig, so the
// runtime may pass only what it changes.
type Config struct {
	Commitments Commitments

	// AgitationThreshold: a customer at or above it is handed to a human with high priority.
	AgitationThreshold float64
	// MinConfidence: an intent below it is not acted on from the menu.
	MinConfidence float64
	// SwitchConfidence: a different intent at or above it interrupts the current dialog.
	SwitchConfidence float64
	// StrongConfidence: above it a new intent wins even over a plausible slot answer.
	StrongConfidence float64
	// OutageHorizon: how far ahead outage information looks for planned outages (7 days).
	OutageHorizon time.Duration
	// RuralMarkers and RemoteMarkers classify a repair address for the arrival commitment.
	RuralMarkers  []string
	RemoteMarkers []string
	// MaxAsks: a slot is asked at most this often before another way is offered.
	MaxAsks int
	// MaxVerifyFailures: identity checks allowed before account data is refused for good.
	MaxVerifyFailures int
	// MaxInsults: insults answered calmly before the customer goes to a supervisor.
	MaxInsults int
	// Zone is the local time for greetings and outage times; nil means China Standard Time.
	Zone *time.Location
}

// DefaultConfig returns the defaults the domain notes give.
func DefaultConfig() Config {
	return Config{
		Commitments:        DefaultCommitments(),
		AgitationThreshold: 0.8,
		MinConfidence:      0.45,
		SwitchConfidence:   0.7,
		StrongConfidence:   0.9,
		OutageHorizon:      7 * 24 * time.Hour,
		RuralMarkers:       []string{"村", "组", "乡", "镇", "屯", "庄"},
		RemoteMarkers:      []string{"牧区", "林场", "海岛", "边境"},
		MaxAsks:            2,
		MaxVerifyFailures:  3,
		MaxInsults:         2,
	}
}

// Machine steps conversations; it holds only read-only configuration and catalogues, so
// one Machine serves every session concurrently.
type Machine struct {
	cfg       Config
	prompts   map[string]prompt
	knowledge []knowledgeEntry
}

// New builds a machine with its embedded prompt catalogue and knowledge file.
func New(cfg Config) (*Machine, error) {
	d := DefaultConfig()
	cfg.Commitments = cfg.Commitments.withDefaults()
	if cfg.Commitments.Zone == nil {
		cfg.Commitments.Zone = cfg.Zone
	}
	for _, f := range []struct{ v, def *float64 }{
		{&cfg.AgitationThreshold, &d.AgitationThreshold}, {&cfg.MinConfidence, &d.MinConfidence},
		{&cfg.SwitchConfidence, &d.SwitchConfidence}, {&cfg.StrongConfidence, &d.StrongConfidence},
	} {
		if *f.v < 0 || *f.v > 1 {
			return nil, fmt.Errorf("%w: threshold %v outside [0,1]", ErrConfig, *f.v)
		}
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	orDefault(&cfg.OutageHorizon, d.OutageHorizon)
	orDefault(&cfg.MaxAsks, d.MaxAsks)
	orDefault(&cfg.MaxVerifyFailures, d.MaxVerifyFailures)
	orDefault(&cfg.MaxInsults, d.MaxInsults)
	if cfg.RuralMarkers == nil {
		cfg.RuralMarkers = d.RuralMarkers
	}
	if cfg.RemoteMarkers == nil {
		cfg.RemoteMarkers = d.RemoteMarkers
	}
	if cfg.Zone == nil {
		cfg.Zone = chinaTime
	}
	p, err := loadPrompts(promptsYAML)
	if err != nil {
		return nil, err
	}
	k, err := loadKnowledge(knowledgeYAML)
	if err != nil {
		return nil, err
	}
	return &Machine{cfg: cfg, prompts: p, knowledge: k}, nil
}

// orDefault replaces a zero or negative setting by its default.
func orDefault[T ~int | ~int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Dialog names of State.Dialog.
const (
	DialogNone      = ""
	DialogFault     = "fault"
	DialogSafety    = "safety"
	DialogQuality   = "quality"
	DialogOutage    = "outage_info"
	DialogIntake    = "intake" // complaint, report, suggestion, praise (Facts["kind"])
	DialogBill      = "bill"
	DialogKnowledge = "knowledge"
	DialogStatus    = "status"
	DialogHandoff   = "handoff"
	DialogClosing   = "closing"
)

// Slot names kept for the whole session (carry-over): once said, never asked again.
const (
	SlotAddress  = "address"
	SlotPhone    = "phone"
	SlotName     = "name"
	SlotAccount  = "account"
	SlotTicketID = "ticket_id"
	SlotScope    = "scope"
)

// State is the whole conversation state of one session; JSON-serialisable.
type State struct {
	Dialog string `json:"dialog,omitempty"`
	Step   string `json:"step,omitempty"` // the question the bot waits on
	// Slots are what the customer told about themselves; they survive topic switches.
	Slots map[string]string `json:"slots,omitempty"`
	// Facts are the current dialog's answers (breaker=yes, detail, kind …); reset per dialog.
	Facts map[string]string `json:"facts,omitempty"`
	// Asked counts how often each step was asked in the current dialog.
	Asked map[string]int `json:"asked,omitempty"`
	// Paused is a dialog interrupted by an agitation handoff, resumed after the callback.
	Paused *Frame `json:"paused,omitempty"`
	// Suspended is an unfinished case (a fault report, a complaint) the customer left for
	// another topic; it is resumed where it stopped, not restarted (首问负责).
	Suspended *Frame `json:"suspended,omitempty"`

	Misses       int    `json:"misses,omitempty"`       // consecutive turns not understood
	Insults      int    `json:"insults,omitempty"`      // insults answered calmly this session
	VerifyFails  int    `json:"verify_fails,omitempty"` // identity checks failed this session
	Verified     string `json:"verified,omitempty"`     // account verified this session
	Handed       bool   `json:"handed,omitempty"`       // a handoff was requested
	Resolved     int    `json:"resolved,omitempty"`     // needs met this session
	RatingAsked  bool   `json:"rating_asked,omitempty"` // the satisfaction question was asked
	Satisfaction int    `json:"satisfaction,omitempty"` // the customer's rating, 1–5
	FollowUp     string `json:"follow_up,omitempty"`    // ticket id of a 回访 in progress
	Ended        bool   `json:"ended,omitempty"`        // End was emitted
	Turns        int    `json:"turns,omitempty"`        // steps taken
	LastIntent   string `json:"last_intent,omitempty"`  // the intent that opened the dialog
}

// Frame is a paused or suspended dialog; Step and Asked let a suspended one go on at the
// question it stopped on.
type Frame struct {
	Dialog string            `json:"dialog"`
	Facts  map[string]string `json:"facts,omitempty"`
	Intent string            `json:"intent,omitempty"`
	Step   string            `json:"step,omitempty"`
	Asked  map[string]int    `json:"asked,omitempty"`
}

// Slot returns a carried-over slot (address, phone, name, account, ticket_id, scope).
func (s State) Slot(name string) string { return s.Slots[name] }

// Fact returns an answer of the current dialog, e.g. "detail", "category", "breaker".
func (s State) Fact(name string) string { return s.Facts[name] }

var dialogTitles = map[string]string{
	DialogFault: "故障报修", DialogSafety: "紧急隐患", DialogQuality: "电能质量",
	DialogOutage: "停电信息", DialogIntake: "受理", DialogBill: "电费查询",
	DialogKnowledge: "业务咨询", DialogStatus: "工单进度", DialogHandoff: "转人工",
	DialogClosing: "结束", DialogNone: "咨询",
}

var kindTitles = map[string]string{
	KindRepair: "故障报修", KindEmergency: "紧急抢修", KindComplaint: "投诉", KindReport: "举报",
	KindSuggestion: "意见建议", KindPraise: "表扬", KindConsult: "咨询", KindCallback: "回电",
}

// Summary is one line for the agent queue: the need and what was collected, with the
// phone and account masked as in logs.
func (s State) Summary() string {
	title := dialogTitles[s.Dialog]
	if s.Dialog == DialogIntake {
		title = kindTitles[s.Facts["kind"]]
	}
	if s.Dialog == DialogHandoff && s.Paused != nil {
		title = dialogTitles[s.Paused.Dialog]
	}
	parts := []string{title}
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+v)
		}
	}
	add("地址:", s.Slots[SlotAddress])
	add("联系人:", s.Slots[SlotName])
	add("电话:", mask(s.Slots[SlotPhone]))
	add("户号:", mask(s.Slots[SlotAccount]))
	add("说明:", clip(s.Facts["detail"], 40))
	return strings.Join(parts, "｜")
}

// mask keeps the first three and last four digits of a number.
func mask(v string) string {
	r := []rune(v)
	if len(r) <= 7 {
		if len(r) <= 4 {
			return v
		}
		return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// clone copies the maps so a step never mutates the caller's state.
func (s State) clone() State {
	s.Slots = orEmpty(maps.Clone(s.Slots))
	s.Facts = orEmpty(maps.Clone(s.Facts))
	s.Asked = orEmpty(maps.Clone(s.Asked))
	s.Paused = s.Paused.clone()
	s.Suspended = s.Suspended.clone()
	return s
}

// clone copies a frame's maps, so that a resumed case never writes into the caller's state.
func (f *Frame) clone() *Frame {
	if f == nil {
		return nil
	}
	p := *f
	p.Facts = maps.Clone(p.Facts)
	p.Asked = maps.Clone(p.Asked)
	return &p
}

// orEmpty returns m, or an empty map in place of nil so that a step may write to it.
func orEmpty[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// Step advances the conversation by one turn. It never panics on odd input: a missing
// World behaves as an empty one and an empty parse is "not understood".
func (m *Machine) Step(st State, t Turn) (State, []Action) {
	st = st.clone()
	if t.World == nil {
		t.World = emptyWorld{}
	}
	p := settle(t.Parse)
	c := &turn{m: m, st: &st, t: t, p: p, text: normText(p)}
	switch t.Kind {
	case TurnOpen:
		c.open()
	case TurnReturned:
		c.returned()
	case TurnFollowUp:
		c.followUpStart()
	default:
		c.utterance()
	}
	st.Turns++
	return st, c.out
}

// turn is the working context of one step.
type turn struct {
	m    *Machine
	st   *State
	t    Turn
	p    nlu.Result
	text string
	out  []Action
	// calmed: an insult was answered with an apology in this turn; the dialog goes on.
	calmed bool
}

func normText(p nlu.Result) string {
	s := p.Normalized
	if s == "" {
		s = p.Text
	}
	return strings.TrimSpace(s)
}

func (c *turn) emit(a ...Action) { c.out = append(c.out, a...) }

// render fills named variables of a catalogue text; {ticket_id} and {due} stay for the runtime.
func (c *turn) render(key string, vars map[string]string) (string, []Choice) {
	p, ok := c.m.prompts[key]
	if !ok {
		p = c.m.prompts["not_understood"]
	}
	text := p.Text
	for k, v := range vars {
		text = strings.ReplaceAll(text, "{"+k+"}", v)
	}
	var choices []Choice
	for _, ch := range p.Choices {
		choices = append(choices, Choice{Label: ch, Value: ch})
	}
	return strings.TrimSpace(text), choices
}

// say appends a catalogue message.
func (c *turn) say(key, expect string, vars map[string]string) {
	text, choices := c.render(key, vars)
	c.emit(Say{Text: text, Expect: expect, Choices: choices})
}

// stepExpect maps each step the bot can wait on to its contract expect slot.
var stepExpect = map[string]string{
	"menu":             ExpectMenu,
	"scope":            ExpectScope,
	"breaker":          ExpectBreaker,
	"restored_breaker": ExpectRestored,
	"restored_unplug":  ExpectRestored,
	"fuse":             ExpectFuse,
	"restored_fuse":    ExpectRestored,
	"prepaid":          ExpectPrepaid,
	"restored_prepaid": ExpectRestored,
	"electrician":      ExpectConfirm,
	"address":          ExpectAddress,
	"address_more":     ExpectAddress,
	"name":             ExpectName,
	"phone":            ExpectPhone,
	"account":          ExpectAccount,
	"verify":           ExpectVerify,
	"ticket_id":        ExpectTicketID,
	"detail":           ExpectDetail,
	"confirm":          ExpectConfirm,
	"correct":          ExpectDetail,
	"report_fault":     ExpectConfirm,
	"topic":            ExpectDetail,
	"offer_human":      ExpectConfirm,
	"callback_phone":   ExpectPhone,
	"satisfaction":     ExpectSatisfaction,
	"followup":         ExpectSatisfaction,
}

// yesNoSteps are answered by a yes/no reading.
var yesNoSteps = map[string]bool{
	"breaker": true, "restored_breaker": true, "restored_unplug": true, "fuse": true,
	"restored_fuse": true, "prepaid": true, "restored_prepaid": true, "electrician": true,
	"confirm": true, "report_fault": true, "offer_human": true,
}

// ask puts a question: the first time its "ask." text, later its "reask." text when the
// catalogue has one, or the simpler "explain." text after a 不知道.
func (c *turn) ask(step string, vars map[string]string) {
	n := c.st.Asked[step]
	key := "ask." + step
	if _, ok := c.m.prompts[key+"@"+c.st.Dialog]; ok {
		key += "@" + c.st.Dialog
	}
	if c.st.Facts["explain"] == step {
		if _, ok := c.m.prompts["explain."+step]; ok {
			key = "explain." + step
		}
	} else if n > 0 {
		if _, ok := c.m.prompts["reask."+step]; ok {
			key = "reask." + step
		}
	}
	delete(c.st.Facts, "explain")
	c.st.Asked[step] = n + 1
	c.st.Step = step
	c.say(key, stepExpect[step], vars)
}

// exhausted reports that a step was asked as often as allowed.
func (c *turn) exhausted(step string) bool { return c.st.Asked[step] >= c.m.cfg.MaxAsks }

// start opens a dialog, resetting its answers but keeping the carried-over slots. An
// unfinished case left for another topic is kept aside, and asking for it again resumes it.
func (c *turn) start(dialog, intent string) {
	if c.resumes(dialog, intent) {
		c.resume()
		return
	}
	c.suspend(dialog)
	c.st.Dialog, c.st.Step, c.st.LastIntent = dialog, "", intent
	c.clearAnswers()
	c.st.Misses = 0
	switch dialog {
	case DialogFault:
		c.faultStart()
	case DialogSafety:
		c.safetyStart()
	case DialogQuality:
		c.qualityStart()
	case DialogOutage:
		c.outageStart()
	case DialogIntake:
		c.intakeStart(intent)
	case DialogBill:
		c.billNext()
	case DialogKnowledge:
		c.knowledgeStart(intent)
	case DialogStatus:
		c.statusNext()
	case DialogHandoff:
		c.handoff(PriorityNormal, "request", false)
	case DialogClosing:
		c.closing()
	}
}

// next continues the current dialog after an answer was taken.
func (c *turn) next() {
	switch c.st.Dialog {
	case DialogFault:
		c.faultNext()
	case DialogSafety:
		c.safetyNext()
	case DialogQuality:
		c.qualityNext()
	case DialogOutage:
		c.outageNext()
	case DialogIntake:
		c.intakeNext()
	case DialogBill:
		c.billNext()
	case DialogKnowledge:
		c.knowledgeNext()
	case DialogStatus:
		c.statusNext()
	default:
		c.anythingElse()
	}
}

// dialogFor maps an intent to the dialog that serves it.
func dialogFor(intent string) string {
	switch intent {
	case nlu.IntentPowerOutage:
		return DialogFault
	case nlu.IntentPowerQuality:
		return DialogQuality
	case nlu.IntentSafetyHazard:
		return DialogSafety
	case nlu.IntentOutageInfo:
		return DialogOutage
	case nlu.IntentTicketStatus:
		return DialogStatus
	case nlu.IntentBillQuery:
		return DialogBill
	case nlu.IntentPayment, nlu.IntentBusiness:
		return DialogKnowledge
	case nlu.IntentComplaint, nlu.IntentReportViolation, nlu.IntentSuggestion, nlu.IntentPraise:
		return DialogIntake
	case nlu.IntentHumanAgent:
		return DialogHandoff
	}
	return ""
}

func (c *turn) open() {
	*c.st = State{Slots: map[string]string{}, Facts: map[string]string{}, Asked: map[string]int{}}
	c.say("greeting", ExpectMenu, map[string]string{"salutation": c.salutation()})
	c.st.Step = "menu"
}

// salutation fits the greeting to the local time of day (95598 etiquette).
func (c *turn) salutation() string {
	if c.t.Now.IsZero() {
		return "您好"
	}
	h := c.t.Now.In(c.m.cfg.Zone).Hour()
	switch {
	case h >= 5 && h < 9:
		return "早上好"
	case h >= 9 && h < 11:
		return "上午好"
	case h >= 11 && h < 13:
		return "中午好"
	case h >= 13 && h < 18:
		return "下午好"
	default:
		return "晚上好"
	}
}

func (c *turn) returned() {
	c.st.Handed = false
	c.st.Paused, c.st.Suspended = nil, nil
	c.toMenu()
	c.say("returned", ExpectMenu, nil)
}

// anythingElse closes a met need with the open question of the menu; a case left
// unfinished for this one is offered again, without making the customer answer it first.
func (c *turn) anythingElse() {
	c.toMenu()
	if sp := c.st.Suspended; sp != nil {
		c.say("anything_else_resume", ExpectMenu, map[string]string{"case": caseTitle(sp)})
		return
	}
	c.say("anything_else", ExpectMenu, nil)
}

// toMenu leaves the current dialog for the open question; its answers go, the
// carried-over slots stay.
func (c *turn) toMenu() {
	c.st.Dialog, c.st.Step = DialogNone, "menu"
	c.clearAnswers()
}

// clearAnswers forgets the current dialog's answers and how often each step was asked.
func (c *turn) clearAnswers() {
	c.st.Facts, c.st.Asked = map[string]string{}, map[string]int{}
}

// met marks a need as met and returns to the open question.
func (c *turn) met(how string) {
	c.st.Resolved++
	c.emit(Resolved{How: how})
	c.anythingElse()
}

// giveUp leaves a need the bot cannot serve with a message that names another way, and
// returns to the open question.
func (c *turn) giveUp(key string) {
	c.say(key, ExpectNone, nil)
	c.anythingElse()
}

// utterance routes one customer utterance: safety first, then the human and agitation
// escapes, then a topic switch, and otherwise the answer to the pending question.
func (c *turn) utterance() {
	c.absorb()
	if c.st.Ended {
		c.open()
		return
	}
	in, conf := c.p.Intent, c.p.Confidence
	if in == nlu.IntentSafetyHazard && c.st.Dialog != DialogSafety && c.hazard() {
		c.start(DialogSafety, in)
		return
	}
	switch c.st.Step {
	case "satisfaction":
		if c.resumeAsked() {
			return
		}
		if c.switchTarget() == "" {
			c.rate()
			return
		}
	case "followup":
		if c.switchTarget() == "" {
			c.followUpAnswer()
			return
		}
	case "callback_phone":
		if c.switchTarget() == "" || in == nlu.IntentHumanAgent {
			c.callbackAnswer()
			return
		}
	}
	if in == nlu.IntentHumanAgent && conf >= c.m.cfg.MinConfidence && !c.weakHumanAnswer() {
		if c.st.Handed {
			c.say("handoff_wait", ExpectNone, nil)
			c.st.Dialog, c.st.Step = DialogNone, ""
			return
		}
		c.start(DialogHandoff, in)
		return
	}
	if c.p.Agitation >= c.m.cfg.AgitationThreshold && !c.st.Handed {
		c.agitated()
		return
	}
	if c.rude() {
		return
	}
	if c.resumeAsked() {
		return
	}
	if c.topicChange() {
		return
	}
	if c.praiseAside() {
		return
	}
	if d := c.switchTarget(); d != "" {
		c.start(d, in)
		return
	}
	if c.st.Dialog == DialogNone || c.st.Step == "" || c.st.Step == "menu" {
		c.menu()
		return
	}
	c.answer()
}

var hazardWords = []string{"电线", "断线", "线掉", "线断", "火花", "冒火", "着火", "起火", "失火", "冒烟", "烟", "触电", "电到人", "电死", "电杆", "线杆", "杆子", "倒了", "爆", "变压器", "打火", "烧起来", "焦味", "电线杆"}

// selfCheckSteps are questions about the customer's own switches, where "开关掉下来了" is
// an answer and not a hazard.
var selfCheckSteps = map[string]bool{"breaker": true, "restored_breaker": true, "restored_unplug": true,
	"fuse": true, "restored_fuse": true, "prepaid": true, "restored_prepaid": true}

// hazard decides whether a safety_hazard reading is trusted: with hazard words always, on
// a very confident reading outside the self-check, never on a weak one.
func (c *turn) hazard() bool {
	if c.p.Confidence < c.m.cfg.MinConfidence {
		return false
	}
	if containsAny(c.text, hazardWords) {
		return true
	}
	return !selfCheckSteps[c.st.Step] && c.p.Confidence >= c.m.cfg.StrongConfidence
}

// switchTarget returns the dialog a clear new intent asks for, or "" to stay.
func (c *turn) switchTarget() string {
	in, conf := c.p.Intent, c.p.Confidence
	if c.st.Dialog == DialogNone && c.st.Step != "satisfaction" && c.st.Step != "followup" && c.st.Step != "callback_phone" {
		return ""
	}
	target := dialogFor(in)
	if in == nlu.IntentGoodbye && containsAny(c.text, goodbyeWords) {
		target = DialogClosing
	}
	if target == "" || conf < c.m.cfg.SwitchConfidence {
		return ""
	}
	step := c.st.Step
	strong := conf >= c.m.cfg.StrongConfidence
	if target == DialogIntake && in == nlu.IntentPraise && c.st.Dialog == DialogIntake && c.st.Facts["kind"] == KindComplaint &&
		!containsAny(c.text, praiseRequestWords) {
		// a good word said while telling a complaint is part of the complaint (praiseAside)
		return ""
	}
	if c.calmed && target == DialogIntake {
		// an insult about the questions is not a new complaint case; the need comes first
		return ""
	}
	switch {
	case step == "satisfaction" || step == "followup":
		if c.rating() > 0 || target == DialogClosing {
			return ""
		}
	case step == "detail" || step == "correct":
		// a description often names other topics; only a short, clear request switches
		// (停电三天了没人修 is a complaint's detail, 算了我提个建议吧 is a new request).
		short := len([]rune(c.text)) <= 12 && strong && (target == DialogIntake || target == DialogClosing)
		if target != DialogHandoff && target != DialogSafety && !short {
			return ""
		}
	case yesNoSteps[step]:
		// "不是插卡的，我们每个月交电费" answers the question even though it reads as a
		// confident payment intent; only a complaint or report outweighs a clear yes/no.
		if c.yesNo() != ynUnknown && !(strong && target == DialogIntake) {
			return ""
		}
	case c.answers(step) && (!strong || c.mostlyEntity()):
		return ""
	}
	if target == c.st.Dialog {
		if target != DialogIntake || intakeKind(in) == c.st.Facts["kind"] {
			return ""
		}
	}
	return target
}

// answers reports whether the utterance carries an entity for a slot step.
func (c *turn) answers(step string) bool {
	types := map[string]string{"address": nlu.EntityAddress, "phone": nlu.EntityPhone,
		"name": nlu.EntityName, "account": nlu.EntityAccount, "ticket_id": nlu.EntityTicketID,
		"scope": nlu.EntityScope, "callback_phone": nlu.EntityPhone}
	if typ, ok := types[step]; ok {
		_, has := c.p.First(typ)
		if step == "account" {
			_, ph := c.p.First(nlu.EntityPhone)
			has = has || ph
		}
		return has
	}
	return step == "verify" // any reply to the identity check is an attempt
}

// mostlyEntity: an utterance that is little more than an entity (a bare phone number or
// address) answers the question whatever intent the classifier guessed for it.
func (c *turn) mostlyEntity() bool {
	n := len([]rune(c.p.Text))
	covered := 0
	for _, e := range c.p.Entities {
		if e.End > e.Start {
			covered += e.End - e.Start
		} else {
			covered += len([]rune(e.Value))
		}
	}
	return n > 0 && covered*10 >= n*6
}

// goodbyeWords end a dialog under way: the closing words and a few that give it up.
var goodbyeWords = append([]string{"算了", "不说了", "不需要了"}, closingWords...)

// menu serves an utterance when no dialog is active.
func (c *turn) menu() {
	in, conf := c.p.Intent, c.p.Confidence
	if d := dialogFor(in); d != "" && conf >= c.m.cfg.MinConfidence {
		c.start(d, in)
		return
	}
	if conf >= c.m.cfg.MinConfidence {
		switch in {
		case nlu.IntentGreet:
			c.st.Misses = 0
			c.st.Step = "menu"
			c.say("greet_again", ExpectMenu, nil)
			return
		case nlu.IntentGoodbye, nlu.IntentThanks, nlu.IntentDeny:
			c.start(DialogClosing, in)
			return
		case nlu.IntentAffirm:
			c.st.Step = "menu"
			c.say("ask.menu", ExpectMenu, nil)
			return
		}
	}
	if containsAny(c.text, closingWords) {
		c.start(DialogClosing, nlu.IntentGoodbye)
		return
	}
	c.notUnderstood()
}

var closingWords = []string{"再见", "拜拜", "没有了", "没事了", "没别的", "没有别的", "不用了", "就这样", "挂了"}

// notUnderstood rephrases once, then offers a human, then hands over.
func (c *turn) notUnderstood() {
	c.st.Misses++
	c.st.Dialog = DialogNone
	switch {
	case c.st.Misses == 1:
		c.st.Step = "menu"
		c.say("not_understood", ExpectMenu, nil)
	case c.st.Misses == 2 && !c.st.Handed:
		c.st.Dialog = DialogHandoff
		c.clearAnswers()
		c.ask("offer_human", nil)
	default:
		c.handoff(PriorityNormal, "not_understood", false)
	}
}

// answer hands the utterance to the step the bot waits on.
func (c *turn) answer() {
	step := c.st.Step
	if c.selfCheckAside() || c.breakerCorrection() {
		return
	}
	if yesNoSteps[step] {
		c.yesNoAnswer(step)
		return
	}
	if isDontKnow(c.text) {
		c.st.Facts["explain"] = step // asked again, the question comes in simpler words
	}
	if a := c.st.Slots[SlotAddress]; a != "" && step != "address" && step != "address_more" {
		// "3单元" said to another question continues the address given in pieces
		if piece := strings.TrimRight(strings.TrimSpace(c.text), "。.,，"); addressPieceRe.MatchString(piece) {
			c.st.Slots[SlotAddress] = mergeAddress(a, piece)
			c.reaskPending()
			return
		}
	}
	switch step {
	case "scope":
		if s := scopeOf(c.scopeText(), true); s != "" {
			c.st.Slots[SlotScope] = s
		} else if isDontKnow(c.text) {
			c.st.Facts["explain"] = "scope"
		}
	case "address":
		c.takeAddress()
	case "address_more":
		c.takeAddressMore()
	case "name":
		c.takeName()
	case "phone":
		c.takePhone()
	case "detail":
		c.takeDetail()
		if c.st.Dialog == DialogIntake && c.st.Facts["kind"] == KindComplaint && c.p.Intent == nlu.IntentPraise &&
			c.p.Confidence >= c.m.cfg.SwitchConfidence {
			// a good word is kept in the complaint, and the complaint itself is still to be told
			delete(c.st.Facts, "detail_given")
			c.say("detail_noted", ExpectNone, nil)
		}
	case "correct":
		c.correct()
	case "account":
		// absorbed from entities; bare digits are read below
		if c.st.Slots[SlotAccount] == "" && c.st.Slots[SlotPhone] == "" {
			if d := digits(c.text); len(d) >= 8 {
				c.st.Slots[SlotAccount] = d
			}
		}
	case "verify":
		c.verifyAnswer()
		return
	case "ticket_id":
		c.takeTicketID()
	case "topic":
		c.knowledgeTopic()
		return
	}
	c.next()
}

// yesNoAnswer records the answer to a yes/no step and goes on; a 不知道 has the question
// put again in simpler words.
func (c *turn) yesNoAnswer(step string) {
	yn := c.yesNo()
	if step == "restored_breaker" || step == "restored_unplug" {
		yn = c.restoreAnswer(step, yn)
	}
	switch yn {
	case ynDontKnow:
		c.st.Facts["explain"] = step
	case ynYes:
		c.st.Facts[step] = "yes"
	case ynNo:
		c.st.Facts[step] = "no"
	}
	switch step {
	case "breaker":
		c.breakerExtras()
	case "offer_human":
		c.offerHumanAnswer()
		return
	case "confirm":
		if c.st.Facts["confirm"] == "no" {
			delete(c.st.Facts, "confirm")
			c.st.Asked["correct"] = 0
			c.ask("correct", nil)
			return
		}
	}
	c.next()
}

// rate reads the satisfaction answer and ends the conversation.
func (c *turn) rate() {
	c.st.Satisfaction = c.rating()
	c.st.Dialog = DialogNone
	c.end()
}

// closing asks the single satisfaction question, or ends at once if it was asked before.
func (c *turn) closing() {
	if c.st.RatingAsked {
		c.end()
		return
	}
	c.st.RatingAsked = true
	c.ask("satisfaction", nil)
}

// end says goodbye, thanking for the rating when one was given, and ends the conversation.
func (c *turn) end() {
	c.st.Step = ""
	key := "closing_end"
	if c.st.Satisfaction == 0 {
		key = "closing_end_unrated"
	}
	c.say(key, ExpectNone, nil)
	c.st.Ended = true
	c.emit(End{})
}

func (c *turn) followUpStart() {
	tk := c.t.Ticket
	if tk == nil {
		c.st.Step = "menu"
		c.say("ask.menu", ExpectMenu, nil)
		return
	}
	c.st.FollowUp = tk.ID
	c.st.Dialog, c.st.Step = DialogNone, ""
	c.clearAnswers()
	c.ask("followup", map[string]string{"id": tk.ID, "kind": kindTitles[tk.Kind]})
}

func (c *turn) followUpAnswer() {
	r := c.rating()
	if r == 0 && !c.exhausted("followup") {
		c.ask("followup", nil)
		return
	}
	if r > 0 && c.st.FollowUp != "" {
		c.emit(RateTicket{TicketID: c.st.FollowUp, Rating: r})
	}
	if r > 0 && r <= 2 {
		c.say("followup_sorry", ExpectNone, nil)
	} else {
		c.say("followup_thanks", ExpectNone, nil)
	}
	c.st.FollowUp = ""
	c.anythingElse()
}
