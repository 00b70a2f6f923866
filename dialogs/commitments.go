package dialogs

import (
	"strings"
	"time"
)

// Area classes of a repair address; they select the crew arrival commitment.
const (
	AreaUrban  = "urban"
	AreaRural  = "rural"
	AreaRemote = "remote"
)

// Commitments are the service deadlines of the State Grid 供电服务十项承诺, kept as
// configuration because provinces and the revisions of the promise differ.
type Commitments struct {
	ArrivalUrban  time.Duration // repair crew on site, urban (45 min)
	ArrivalRural  time.Duration // rural (90 min)
	ArrivalRemote time.Duration // special remote areas (120 min)
	// ArrivalEmergency is the crew arrival for safety hazards; zero means ArrivalUrban.
	ArrivalEmergency time.Duration

	ComplaintContact    time.Duration // first contact after a complaint (24 h)
	ComplaintResultDays int           // complaint result, working days (5)
	ReportDays          int           // 举报 answer, working days (9)
	SuggestionDays      int           // suggestions and other requests, working days (5)
	PraiseDays          int           // praise is recorded and passed on, working days (5)
	ConsultDays         int           // consult records are handed on, working days (1)
	Callback            time.Duration // a human calls back (24 h)
	ArrearsRestore      time.Duration // power back after arrears are paid (24 h)

	// Zone is where working days are counted; nil means China Standard Time.
	Zone *time.Location
}

// DefaultCommitments returns the State Grid defaults.
func DefaultCommitments() Commitments {
	return Commitments{
		ArrivalUrban:        45 * time.Minute,
		ArrivalRural:        90 * time.Minute,
		ArrivalRemote:       120 * time.Minute,
		ComplaintContact:    24 * time.Hour,
		ComplaintResultDays: 5,
		ReportDays:          9,
		SuggestionDays:      5,
		PraiseDays:          5,
		ConsultDays:         1,
		Callback:            24 * time.Hour,
		ArrearsRestore:      24 * time.Hour,
	}
}

// withDefaults fills zero fields from DefaultCommitments so a partial configuration works.
func (c Commitments) withDefaults() Commitments {
	d := DefaultCommitments()
	orDefault(&c.ArrivalUrban, d.ArrivalUrban)
	orDefault(&c.ArrivalRural, d.ArrivalRural)
	orDefault(&c.ArrivalRemote, d.ArrivalRemote)
	orDefault(&c.ComplaintContact, d.ComplaintContact)
	orDefault(&c.Callback, d.Callback)
	orDefault(&c.ArrearsRestore, d.ArrearsRestore)
	orDefault(&c.ComplaintResultDays, d.ComplaintResultDays)
	orDefault(&c.ReportDays, d.ReportDays)
	orDefault(&c.SuggestionDays, d.SuggestionDays)
	orDefault(&c.PraiseDays, d.PraiseDays)
	orDefault(&c.ConsultDays, d.ConsultDays)
	return c
}

// Arrival returns the crew arrival commitment for an area class.
func (c Commitments) Arrival(areaClass string) time.Duration {
	c = c.withDefaults()
	switch areaClass {
	case AreaRural:
		return c.ArrivalRural
	case AreaRemote:
		return c.ArrivalRemote
	default:
		return c.ArrivalUrban
	}
}

// arrivalEmergency is the crew arrival for a safety hazard: ArrivalEmergency, else urban.
func (c Commitments) arrivalEmergency() time.Duration {
	if c.ArrivalEmergency > 0 {
		return c.ArrivalEmergency
	}
	return c.ArrivalUrban
}

// Due computes a ticket's due time from its kind and fields (area_class for repairs).
// Working-day deadlines skip Saturdays and Sundays in the configured zone.
func (c Commitments) Due(kind string, fields map[string]string, from time.Time) time.Time {
	c = c.withDefaults()
	switch kind {
	case KindRepair:
		return from.Add(c.Arrival(strings.TrimSpace(fields["area_class"])))
	case KindEmergency:
		return from.Add(c.arrivalEmergency())
	case KindComplaint:
		return c.addWorkingDays(from, c.ComplaintResultDays)
	case KindReport:
		return c.addWorkingDays(from, c.ReportDays)
	case KindPraise:
		return c.addWorkingDays(from, c.PraiseDays)
	case KindConsult:
		return c.addWorkingDays(from, c.ConsultDays)
	case KindCallback:
		return from.Add(c.Callback)
	default: // suggestion and any other request
		return c.addWorkingDays(from, c.SuggestionDays)
	}
}

// addWorkingDays moves from forward by n days that are Monday to Friday, keeping the time
// of day; a request made at the weekend starts counting on Monday.
func (c Commitments) addWorkingDays(from time.Time, n int) time.Time {
	zone := c.Zone
	if zone == nil {
		zone = chinaTime
	}
	t := from.In(zone)
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t.In(from.Location())
}

// chinaTime is UTC+8 without a tzdata dependency; China has no daylight saving time.
var chinaTime = time.FixedZone("CST", 8*3600)
