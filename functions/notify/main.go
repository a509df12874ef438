// Command notify is the Lambda on the leads table's stream: it emails the
// clinic about each new lead.
package main

import (
	_ "time/tzdata" // TIME_ZONE must load on any runtime image

	"github.com/openclinic/leadhandler/internal/fn/coldstart"
	"github.com/openclinic/leadhandler/internal/fn/notify"
)

func main() {
	coldstart.Start(notify.ClientsFrom, notify.FromEnv, func(h *notify.Handler) any { return h.Handle })
}
