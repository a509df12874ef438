// Package logging builds the functions' JSON logger. Callers log ids and
// outcomes only: leads are health information, and no name, email, phone or
// message may reach a log line.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// New returns a JSON logger writing to w at the level LOG_LEVEL names (the
// template's LogLevel), else AWS_LAMBDA_LOG_LEVEL, INFO by default. The
// template lets Lambda pass every line (ApplicationLogLevel TRACE) and
// filters here: Lambda's own filter takes a line without a "level" key, such
// as a metric line, for INFO, and at WARN would drop every metric.
func New(w io.Writer, getenv func(string) string) *slog.Logger {
	name := getenv("LOG_LEVEL")
	if strings.TrimSpace(name) == "" {
		name = getenv("AWS_LAMBDA_LOG_LEVEL")
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: Level(name)}))
}

// Level maps Lambda's level names (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)
// to slog's.
func Level(name string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// RequestID is the Lambda request id of ctx, or fallback (such as API
// Gateway's own request id) outside Lambda.
func RequestID(ctx context.Context, fallback string) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return fallback
}
