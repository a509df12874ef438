package figures

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/openclinic/leadhandler/internal/hours"
	"github.com/openclinic/leadhandler/internal/lead"
)

// Sample makes n leads requested in [from, to), as staff would have left
// them by now: some untried, the rest first tried minutes to days later and
// booked, still open, or closed otherwise; with landing pages and UTM
// values, hostile ones among them (markup, formulas, overlong). Waits are
// opening time in h (the zero Hours: every minute), so first attempts fall
// when the clinic is open. The same
// seed makes the same leads: the golden files, the naive cross-check and
// the benchmark use it. Names and contacts are made up.
func Sample(from, to, now time.Time, n int, seed uint64, h hours.Hours) []lead.Lead {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	pages := []string{"/", "/back-pain", "/blog/sciatica?utm_source=x", "/knee", "/<script>alert(1)</script>", "/very-long-" + fmt.Sprintf("%0100d", 7), ""}
	sources := []string{"google", "facebook", "newsletter", "=HYPERLINK(\"http://x\")", ""}
	campaigns := []string{"spring-back", "knee-2026", "<b>bold</b>", ""}
	policy := lead.Policy{Cadence: lead.DefaultCadence, MaxAttempts: lead.DefaultMaxAttempts, Hours: h}
	span := to.Sub(from)
	out := make([]lead.Lead, 0, n)
	for i := range n {
		created := from.Add(time.Duration(r.Int64N(int64(span/time.Second))) * time.Second)
		// nil without campaign values, as the form's decoder leaves it
		// (minidyn, make dev's DynamoDB, cannot read an empty map back).
		var utm map[string]string
		if s := sources[r.IntN(len(sources))]; s != "" {
			utm = map[string]string{"utm_source": s}
		}
		if c := campaigns[r.IntN(len(campaigns))]; c != "" {
			if utm == nil {
				utm = map[string]string{}
			}
			utm["utm_campaign"] = c
		}
		l := lead.New(fmt.Sprintf("%08x-%04x-4000-8000-0000%08x", i, i%0xffff, r.Uint32()), lead.Request{
			Name: fmt.Sprintf("Patient %d", i), Phone: "+12025550143", PreferredContact: lead.ByPhone, PreferredTime: lead.AnyTime,
			ConsentVersion: "2026-01", UTM: utm, LandingPath: pages[r.IntN(len(pages))],
		}, created, 400*24*time.Hour)
		// How long until the first attempt, in opening time: mostly minutes,
		// some hours, a few a day or more; one in eight never tried.
		var wait time.Duration
		switch k := r.IntN(8); {
		case k == 0:
			out = append(out, l)
			continue
		case k < 4:
			wait = time.Duration(r.IntN(20*60)) * time.Second
		case k < 7:
			wait = time.Duration(r.IntN(4*3600)) * time.Second
		default:
			wait = time.Duration(r.IntN(20*3600)) * time.Second
		}
		at := h.Due(created, wait)
		if !at.Before(now) {
			out = append(out, l)
			continue
		}
		outcomes := []lead.Outcome{lead.Booked, lead.Booked, lead.NoAnswer, lead.LeftMessage, lead.Reached, lead.NotInterested, lead.WrongNumber}
		_ = l.Record(lead.Event{At: at, Outcome: outcomes[r.IntN(len(outcomes))], Channel: lead.ChannelCall, By: lead.ByLink}, policy)
		out = append(out, l)
	}
	return out
}
