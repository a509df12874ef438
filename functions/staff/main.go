// Command staff is the Lambda behind the staff links: the call-back page at
// GET /leads/{id}, and POST /leads/{id}/contacted, which records attempts.
package main

import (
	_ "time/tzdata" // TIME_ZONE must load on any runtime image

	"github.com/openclinic/leadhandler/internal/fn/coldstart"
	"github.com/openclinic/leadhandler/internal/fn/staff"
)

func main() {
	coldstart.Start(staff.ClientsFrom, staff.FromEnv, func(h *staff.Handler) any { return h.Handle })
}
