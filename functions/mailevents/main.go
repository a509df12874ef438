// Command mailevents is the Lambda on SES's events (from the stack's
// configuration set, through EventBridge): it records on each lead whether
// the clinic's alert was delivered, bounced or complained of.
package main

import (
	"github.com/openclinic/leadhandler/internal/fn/coldstart"
	"github.com/openclinic/leadhandler/internal/fn/mailevents"
)

func main() {
	coldstart.Start(mailevents.ClientsFrom, mailevents.FromEnv, func(h *mailevents.Handler) any { return h.Handle })
}
