package p

import "time"

func f() { _ = time.Now() }
