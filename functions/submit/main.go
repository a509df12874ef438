// Command submit is the Lambda behind POST /leads.
package main

import (
	"github.com/openclinic/leadhandler/internal/fn/coldstart"
	"github.com/openclinic/leadhandler/internal/fn/submit"
)

func main() {
	coldstart.Start(submit.ClientsFrom, submit.FromEnv, func(h *submit.Handler) any { return h.Handle })
}
