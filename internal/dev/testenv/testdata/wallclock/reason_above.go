package p

import "time"

// wall clock: the binary under the emulator runs on the real clock
var a = time.Now()
