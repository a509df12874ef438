// Command followup is the daily Lambda that emails the clinic the leads
// that need a call: untried, due a call-back, overdue, or closed as
// unreachable since the last digest.
package main

import (
	_ "time/tzdata" // TIME_ZONE must load on any runtime image

	"github.com/openclinic/leadhandler/internal/fn/coldstart"
	"github.com/openclinic/leadhandler/internal/fn/followup"
)

func main() {
	coldstart.Start(followup.ClientsFrom, followup.FromEnv, func(h *followup.Handler) any { return h.Handle })
}
