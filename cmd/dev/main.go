// Command dev runs the whole stack locally (make dev): the form, the API
// through the Lambdas' own handlers, an in-process DynamoDB, the stream to
// notify, an outbox for email, and the follow-up on demand.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/openclinic/leadhandler/internal/dev/local"
	"github.com/openclinic/leadhandler/internal/logging"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dev:", err)
		os.Exit(1)
	}
}

func run() error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1:%s (set PORT to use another port): %w", port, err)
	}
	base := "http://127.0.0.1:" + port
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Loading the SDK's configuration reads files and variables only: it
	// works with no AWS account at all.
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	srv, err := local.New(ctx, local.Options{
		BaseURL:  base,
		Dir:      ".local",
		Template: "template.yaml",
		Getenv:   os.Getenv,
		AWS:      awsCfg,
		Log:      logging.New(os.Stdout, os.Getenv),
		Metrics:  os.Stdout, // as on AWS: EMF lines beside the log lines
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf(`
Appointment lead handler, running locally
  form (demo clinic page)  %[1]s/
  outbox (sent email)      %[1]s/_local/outbox   (and .local/outbox/*.eml)
  front desk's inbox       %[1]s/staff   (sign in as %[3]s: the code arrives in the outbox)
  today's digest          curl -X POST %[1]s/_local/followup   (optional ?at=2026-11-30T08:00:00-05:00)
  the weekly report        curl -X POST '%[1]s/_local/followup?report=weekly'   (last week's, at the clock's time)
  move the clock on        curl -X POST '%[1]s/_local/clock?advance=20m'   (every function's; nudges due by then go out)
  the owner's figures      make report LOCAL=1   (or make export LOCAL=1, in another terminal)
  leads are stored in      %[2]s
Press Ctrl+C to stop.

`, base, srv.Table, srv.StaffEmail())

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	slog.Info("stopped")
	return nil
}
