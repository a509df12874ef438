package p

import "example.com/clock"

var a = clock.Now()
