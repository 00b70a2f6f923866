package bot

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's Prometheus series (namespace dianbao). Containment rate is
// sessions_resolved_total minus the how="agent" series over all sessions.
type metrics struct {
	turns       prometheus.Counter
	turnSeconds prometheus.Histogram
	nluSeconds  prometheus.Histogram
	resolved    *prometheus.CounterVec
	escalations *prometheus.CounterVec
	tickets     *prometheus.CounterVec
	panics      prometheus.Counter
	satisfied   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		turns: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "dianbao", Name: "turns_total", Help: "Customer turns handled by the engine."}),
		turnSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "dianbao", Name: "turn_duration_seconds", Help: "Time to handle one customer turn, store included.",
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, 1}}),
		nluSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "dianbao", Name: "nlu_duration_seconds", Help: "Time to parse one utterance.",
			Buckets: []float64{.00005, .0001, .0002, .0005, .001, .002, .005, .01, .05}}),
		resolved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dianbao", Name: "sessions_resolved_total", Help: "Customer needs met, by how (self_service, info, ticket, agent)."}, []string{"how"}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dianbao", Name: "escalations_total", Help: "Sessions handed to a human, by reason."}, []string{"reason"}),
		tickets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dianbao", Name: "tickets_created_total", Help: "Work orders created, by kind."}, []string{"kind"}),
		satisfied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "dianbao", Name: "satisfaction_total", Help: "End-of-chat satisfaction ratings, by stars (1–5)."}, []string{"rating"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "dianbao", Name: "turn_panics_total", Help: "Turns that panicked and were answered with an apology."}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.turns, m.turnSeconds, m.nluSeconds, m.resolved, m.escalations, m.tickets, m.panics, m.satisfied} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
