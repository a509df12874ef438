package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
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
