package p

import clock "time"

var a = clock.Now()
