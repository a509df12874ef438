package p

import "time"

var now = time.Now
var at = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
