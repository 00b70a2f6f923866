package voice

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the channel's Prometheus series (namespace dianbao, subsystem voice).
type metrics struct {
	active     prometheus.Gauge
	calls      prometheus.Counter
	jitter     prometheus.Histogram
	lost       prometheus.Histogram
	response   *prometheus.HistogramVec
	frames     prometheus.Counter
	lateFrames prometheus.Counter
	frameDelay prometheus.Histogram
	bargeIns   prometheus.Counter
	hangups    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "dianbao", "voice"
	m := &metrics{
		active: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "calls_active", Help: "Voice calls currently connected."}),
		calls: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "calls_total", Help: "Voice calls accepted."}),
		jitter: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "jitter_seconds", Help: "Interarrival jitter of the bot's audio as reported by callers' RTCP receiver reports.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .04, .08, .16}}),
		lost: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "fraction_lost_ratio", Help: "Fraction of the bot's audio packets lost, from callers' RTCP receiver reports.",
			Buckets: []float64{0, .005, .01, .02, .05, .1, .2, .5}}),
		response: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "response_seconds", Help: "Time from the end of the caller's speech or key press to the first bot audio packet.",
			Buckets: []float64{.05, .1, .15, .25, .5, 1, 2, 4, 8}}, []string{"trigger"}),
		frames: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "frames_sent_total", Help: "20 ms bot audio frames sent."}),
		lateFrames: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "frames_late_total", Help: "Bot audio frames sent later than the configured tolerance."}),
		frameDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "frame_delay_seconds", Help: "How far behind its deadline each bot audio frame left (0 when on time or early).",
			Buckets: []float64{.001, .005, .01, .02, .04, .06, .1, .2, .5}}),
		bargeIns: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "barge_ins_total", Help: "Times caller speech stopped the bot's audio."}),
		hangups: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "hangups_total", Help: "Ended calls by reason."}, []string{"reason"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.active, m.calls, m.jitter, m.lost, m.response,
		m.frames, m.lateFrames, m.frameDelay, m.bargeIns, m.hangups} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
