// Command followup is the daily Lambda that emails the clinic the leads
// nobody has marked contacted.
package main

import (
	_ "time/tzdata" // TIME_ZONE must load on any runtime image

	"github.com/openclinic/leadhandler/internal/coldstart"
	"github.com/openclinic/leadhandler/internal/followup"
)

func main() {
	coldstart.Start(followup.ClientsFrom, followup.FromEnv, func(h *followup.Handler) any { return h.Handle })
}
