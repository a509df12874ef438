package p

import . "time"

var a = Now()
