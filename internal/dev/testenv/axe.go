package testenv

import "testing"

// AxeCore returns the path of axe-core's script (pinned in infra/ses-local
// beside the SES emulator, installed by `make test`), which the
// accessibility test injects into pages.
func AxeCore(t testing.TB) string {
	t.Helper()
	return Tool(t, "axe-core", "AXE_CORE", "infra/ses-local/node_modules/axe-core/axe.min.js")
}
