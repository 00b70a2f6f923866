// Package dtmf reads the keys a caller presses, sent as RFC 4733 telephone-events
// (https://www.rfc-editor.org/rfc/rfc4733), and turns them into menu choices and keyed-in
// numbers (phone, 户号 account) for the dialogs.
//
// Chrome sends telephone-event with payload type 126 at an 8000 Hz clock on the audio SSRC
// (RTCDTMFSender). Every packet of one key press carries the same RTP timestamp; the final
// packet, with the E bit set, is sent three times. [Collector] dedupes by timestamp, so one
// press is one key even with retransmitted end packets or a lost end.
//
//	col := dtmf.NewCollector(dtmf.CollectorConfig{})
//	col.SetMode(dtmf.ModeEntry)          // "please key in your 户号, end with #"
//	results, err := col.PushRTP(pkt)     // pkt is a *rtp.Packet from the audio track
//	for _, r := range results {           // r.Kind == dtmf.KindEntry, r.Digits == "3100123456"
//	}
//
// [Generator] writes the packets a browser would send, for tests of the call layer.
package dtmf
