package p

import "time"

var a = time.Since(time.Time{})
var b = time.Until(time.Time{})
