package p

import "time"

var a = time.Now() // the clock
