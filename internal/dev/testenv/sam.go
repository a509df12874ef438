package testenv

import "testing"

// SAMPython returns the Python of the SAM CLI's venv, which holds the
// samtranslator sam deploy transforms the template with: infra/expand.py
// runs on it.
func SAMPython(t testing.TB) string {
	t.Helper()
	return Tool(t, "the SAM CLI's Python (samtranslator)", "SAM_PYTHON", ".venv/bin/python")
}
