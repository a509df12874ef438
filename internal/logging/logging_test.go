package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestLevelFromLambda(t *testing.T) {
	for in, want := range map[string]slog.Level{
		"": slog.LevelInfo, "INFO": slog.LevelInfo, "TRACE": slog.LevelDebug, "debug": slog.LevelDebug,
		"WARN": slog.LevelWarn, "ERROR": slog.LevelError, "FATAL": slog.LevelError, "nonsense": slog.LevelInfo,
	} {
		if got := Level(in); got != want {
			t.Errorf("Level(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNewWritesJSONAtTheLevel(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, func(string) string { return "WARN" })
	log.Info("dropped")
	log.Warn("kept", "leadId", "abc")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	if line["msg"] != "kept" || line["leadId"] != "abc" || line["level"] != "WARN" {
		t.Errorf("line = %v", line)
	}
}

// The template lets Lambda pass every line (AWS_LAMBDA_LOG_LEVEL=TRACE) and
// sets LOG_LEVEL from LogLevel: LOG_LEVEL decides.
func TestLogLevelOverLambdas(t *testing.T) {
	env := map[string]string{"AWS_LAMBDA_LOG_LEVEL": "TRACE", "LOG_LEVEL": "WARN"}
	var buf bytes.Buffer
	log := New(&buf, func(k string) string { return env[k] })
	log.Debug("dropped")
	log.Info("dropped")
	log.Warn("kept")
	if got := buf.String(); strings.Contains(got, "dropped") || !strings.Contains(got, "kept") {
		t.Errorf("LOG_LEVEL=WARN under AWS_LAMBDA_LOG_LEVEL=TRACE wrote %q", got)
	}
	buf.Reset()
	env["LOG_LEVEL"] = ""
	New(&buf, func(k string) string { return env[k] }).Debug("kept")
	if !strings.Contains(buf.String(), "kept") {
		t.Errorf("no LOG_LEVEL: AWS_LAMBDA_LOG_LEVEL=TRACE should write debug lines, wrote %q", buf.String())
	}
}
