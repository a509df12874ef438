package p

import "time"

var a = time.Now() // wall clock:
