package replay_test

import (
	"testing"

	"github.com/b24desk/b24desk/config"
	"github.com/b24desk/b24desk/connector/replay"
	"github.com/b24desk/b24desk/connector/store"
	"github.com/b24desk/b24desk/rules"
)

// BenchmarkReplayMonth replays 3,000 tickets (the fixture's fortnight a
// hundred times over, as a busy desk's month) through the changed rules.
func BenchmarkReplayMonth(b *testing.B) {
	def, _, err := config.ExampleRules(periodFrom)
	if err != nil {
		b.Fatal(err)
	}
	l := newLife(b, def, periodFrom)
	fixture(l)
	l.play(replayNow)
	one, inputs := l.history(periodFrom, periodTo)
	var list []store.HistoryTicket
	all := map[int64]rules.Input{}
	for k := range int64(100) {
		for _, h := range one {
			id := h.LeadID
			h.LeadID += k * 1000
			list = append(list, h)
			if in, ok := inputs[id]; ok {
				all[h.LeadID] = in
			}
		}
	}
	o := replay.Options{From: periodFrom, To: periodTo, Now: replayNow, Location: msk, Current: def,
		New: changedRules(b), Inputs: all}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := replay.Run(list, o)
		if err != nil || res.Tickets != len(list) {
			b.Fatalf("%v, %d tickets", err, res.Tickets)
		}
	}
}
