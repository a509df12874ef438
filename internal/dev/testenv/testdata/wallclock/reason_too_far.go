package p

import "time"

// wall clock: two lines above is too far
// another comment
var a = time.Now()
