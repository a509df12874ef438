// Package ops holds the commands ops run against a deployed stack from
// their own machine: make audit prints an audit trail, make staff-signout
// ends all of one staff member's sessions (and every link session), make
// rotate-link-secret and make retire-link-secret rotate the secret that
// signs staff links (retiring a version ends every link session too).
package ops

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/link"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitStore = 1 // AWS or the store failed
	ExitUsage = 2 // bad arguments or settings
)

// Trail is the store's side of make audit.
type Trail interface {
	AuditTrail(ctx context.Context, leadID string, since time.Time, newestFirst bool, now time.Time) iter.Seq2[access.AuditEntry, error]
}

// Sessions is the store's side of make staff-signout, and of retiring the
// link secret (which ends the sessions emailed links started).
type Sessions interface {
	EndSessions(ctx context.Context, email string, now time.Time) (int, error)
	EndLinkSessions(ctx context.Context, before time.Time) error
	Audit(ctx context.Context, e access.AuditEntry) error
}

// Store is every store method the commands use.
type Store interface {
	Trail
	Sessions
	Figures
	Patients
	Backfill
}

// Env is what a run of the tool is given.
type Env struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	Now            func() time.Time
	// Open finds the table and returns the store on it. It is called only
	// once the arguments are known to be good.
	Open func(ctx context.Context) (Store, error)
	// OpenSecret finds the link secret and returns its ARN and the client
	// to change it with; called once the arguments are known to be good.
	OpenSecret func(ctx context.Context) (Secrets, string, error)
	// Settings are the clinic's TIME_ZONE and OPENING_HOURS where the
	// environment leaves them unset (the stack's parameters: StackSettings),
	// so make report counts as the weekly report does; nil: none.
	Settings func(ctx context.Context) (map[string]string, error)
	// Reach finds the link secret's keys and the response guard's
	// schedules for make patient-export, make erase and make
	// index-patients (patient.go, index.go);
	// called once the arguments are known to be good.
	Reach func(ctx context.Context) (Reach, error)
}

// usageError is a bad argument or setting (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage:
  ops audit [-lead ID] [-since WHEN]   print a lead's audit trail (without -lead: sign-ins, failed codes, sign-outs)
  ops signout -email ADDR              end all of one staff member's sessions, and every session an emailed link started
  ops rotate-link-secret [-retire]     a new version of the link secret signs; -retire: the one it replaces stops verifying too, and link sessions end
  ops retire-link-secret               the previous version of the link secret stops verifying, and link sessions end
  ops report [-from DATE] [-to DATE]   print the speed-to-lead and attribution figures of the requests of those days (clinic time, TO included)
  ops export [-from DATE] [-to DATE] [-pii] [-out FILE]   write them as CSV, one row a request (names and contacts only with -pii)
  ops patient-export -contact PHONE|EMAIL [-out FILE]   write everything kept about one patient as JSON (audited)
  ops erase -contact PHONE|EMAIL -confirm erase   erase every request of one patient, its held copies, index entries and nudges (audited)
  ops index-patients                   index the requests stored before 1.1 by their contact's keys, once after upgrading`

// Run runs the command in args (without the program's name) and returns
// its exit code. Errors go to Stderr, once.
func Run(ctx context.Context, args []string, env Env) int {
	err := run(ctx, args, env)
	var u usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp): // -h: the flag package printed the help
		return ExitOK
	case errors.As(err, &u):
		fmt.Fprintln(env.Stderr, "ops:", err)
		return ExitUsage
	default:
		fmt.Fprintln(env.Stderr, "ops:", err)
		return ExitStore
	}
}

func run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError{"no command\n" + usage}
	}
	fs := flag.NewFlagSet("ops "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	switch args[0] {
	case "audit":
		leadID := fs.String("lead", "", "the lead's id; empty: the sign-in events (sign-ins, failed codes, sign-outs)")
		since := fs.String("since", "", "from when: a date (2026-11-01), an RFC 3339 time, or an age (7d, 36h); empty: everything kept")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		now := env.Now()
		from, err := ParseSince(*since, now)
		if err != nil {
			return err
		}
		st, err := env.Open(ctx)
		if err != nil {
			return err
		}
		return Print(ctx, env.Stdout, st, strings.TrimSpace(*leadID), from, now)
	case "signout":
		email := fs.String("email", "", "the staff member's address")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		addr := access.NormalizeEmail(*email)
		if addr == "" {
			return usageError{"signout needs the staff member's address: make staff-signout EMAIL=frontdesk@example-clinic.com"}
		}
		if !strings.Contains(addr, "@") || strings.ContainsFunc(addr, unicode.IsSpace) {
			return usageError{fmt.Sprintf("EMAIL %q is not an email address", addr)}
		}
		keep, err := Retention(env.Getenv)
		if err != nil {
			return err
		}
		st, err := env.Open(ctx)
		if err != nil {
			return err
		}
		n, err := SignOut(ctx, st, addr, env.Now(), keep)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Ended %d %s of %s, and every session an emailed link started.\n", n, plural(n, "session", "sessions"), addr)
		return nil
	case "rotate-link-secret":
		retire := fs.Bool("retire", false, "also retire the version replaced, at once (a leaked secret): what it signed stops working")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		api, arn, err := env.OpenSecret(ctx)
		if err != nil {
			return err
		}
		var links *linkEnder
		if *retire {
			if links, err = openLinkEnder(ctx, env, retireRotation); err != nil {
				return err
			}
		}
		r, err := RotateLinkSecret(ctx, api, arn, *retire)
		if err != nil {
			return err
		}
		printRotation(env.Stdout, r)
		if links != nil {
			return links.end(ctx)
		}
		return nil
	case "retire-link-secret":
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		api, arn, err := env.OpenSecret(ctx)
		if err != nil {
			return err
		}
		links, err := openLinkEnder(ctx, env, retireRequest)
		if err != nil {
			return err
		}
		v, err := RetirePrevious(ctx, api, arn)
		if err != nil {
			return err
		}
		if v == "" {
			fmt.Fprintln(env.Stdout, "The link secret has no previous version: only the current one verifies.")
			return nil
		}
		fmt.Fprintf(env.Stdout, "Retired version %s of the link secret: within %v, links, forms and sign-in codes made with it stop working.\n", v, refreshWithin)
		return links.end(ctx)
	case "report", "export":
		fromArg := fs.String("from", "", "the first day (2026-11-01, clinic time); default: 6 days before -to")
		toArg := fs.String("to", "", "the last day, included; default: today")
		pii := fs.Bool("pii", false, "export: add the name, phone and email columns")
		out := fs.String("out", "", "export: the CSV file to write (default: standard output)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		getenv := env.Getenv
		if env.Settings != nil && (getenv("TIME_ZONE") == "" || getenv("OPENING_HOURS") == "") {
			settings, err := env.Settings(ctx)
			if err != nil {
				return err
			}
			getenv = func(k string) string {
				if v := env.Getenv(k); v != "" {
					return v
				}
				return settings[k]
			}
		}
		c, err := ClinicFrom(getenv)
		if err != nil {
			return err
		}
		now := env.Now()
		from, to, err := Span(*fromArg, *toArg, now, c.Zone)
		if err != nil {
			return err
		}
		st, err := env.Open(ctx)
		if err != nil {
			return err
		}
		if args[0] == "report" {
			return Report(ctx, env.Stdout, st, c, from, to, now)
		}
		return writeOut(env.Stdout, *out, func(w io.Writer) (int, error) { return Export(ctx, w, st, c, from, to, now, *pii) })
	case "patient-export", "erase":
		contact := fs.String("contact", "", "the patient's phone number (with its area or country code) or email address")
		out := fs.String("out", "", "patient-export: the JSON file to write (default: standard output)")
		confirm := fs.String("confirm", "", "erase: the word erase, to confirm")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		c, err := ReadContact(*contact, strings.TrimSpace(env.Getenv("PHONE_REGION")))
		if err != nil {
			return err
		}
		if args[0] == "erase" && strings.TrimSpace(*confirm) != "erase" {
			return usageError{"nothing was erased: it cannot be undone; run it again with CONFIRM=erase (make erase CONTACT=... CONFIRM=erase)"}
		}
		keep, err := Retention(env.Getenv)
		if err != nil {
			return err
		}
		clinic, err := ClinicFrom(env.Getenv)
		if err != nil {
			return err
		}
		st, err := env.Open(ctx)
		if err != nil {
			return err
		}
		reach, err := env.Reach(ctx)
		if err != nil {
			return err
		}
		now := env.Now()
		if args[0] == "erase" {
			return printErase(ctx, env.Stdout, st, reach, c, now, keep)
		}
		return writeOut(env.Stdout, *out, func(w io.Writer) (int, error) {
			return PatientExport(ctx, w, st, reach.Keys, c, now, keep, actor(reach, byPatientExport), clinic.Zone)
		})
	case "index-patients":
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		st, err := env.Open(ctx)
		if err != nil {
			return err
		}
		reach, err := env.Reach(ctx)
		if err != nil {
			return err
		}
		return printIndex(ctx, env.Stdout, st, reach, env.Now())
	default:
		return usageError{fmt.Sprintf("unknown command %q\n%s", args[0], usage)}
	}
}

// refreshWithin is how long the functions may take to read a new version:
// they read the secret every link.RefreshEvery.
const refreshWithin = link.RefreshEvery

func printRotation(w io.Writer, r Rotation) {
	fmt.Fprintf(w, "Version %s of the link secret is current: the functions sign with it within %v.\n", r.Current, refreshWithin)
	if r.Previous != "" {
		fmt.Fprintf(w, "Version %s is previous: links, forms and sign-in codes made with it keep working until they expire, or until it is retired (make retire-link-secret, or the next rotation).\n", r.Previous)
	}
	for _, v := range r.Retired {
		fmt.Fprintf(w, "Version %s is retired: what it signed stops working within %v.\n", v, refreshWithin)
	}
	fmt.Fprintln(w, "Now run make index-patients, so that patients indexed under an older version are still found by contact once it is retired (docs/patients.md).")
}

// parse parses a command's flags; arguments left over are a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		// The flag package has printed the error and the defaults already.
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// Retention is AUDIT_RETENTION_DAYS as the staff function reads it: whole
// days, at least 1; unset, access.AuditRetention.
func Retention(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv("AUDIT_RETENTION_DAYS"))
	if v == "" {
		return access.AuditRetention, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, usageError{fmt.Sprintf("AUDIT_RETENTION_DAYS: want a whole number of at least 1, got %q", v)}
	}
	return time.Duration(n) * 24 * time.Hour, nil
}

// SignOut ends every session of email (already normalized), and every
// session an emailed link started (they belong to no address: any may be
// on the staff member's browsers), and records that ops did, kept for
// keep. It returns how many sessions of email were still going.
func SignOut(ctx context.Context, st Sessions, email string, now time.Time, keep time.Duration) (int, error) {
	n, err := st.EndSessions(ctx, email, now)
	if err != nil {
		return 0, fmt.Errorf("end the sessions of %s: %w", email, err)
	}
	// The entry names whose sessions ended; its request is ops' command.
	e := access.AuditEntry{At: now, Actor: email, Action: access.SignOutAll, RequestID: access.ByOps, Expires: now.Add(keep)}
	if err := st.Audit(ctx, e); err != nil {
		return n, fmt.Errorf("%d sessions ended, but the audit entry was not written: %w", n, err)
	}
	if err := EndLinkSessions(ctx, st, now, keep, access.ByOps); err != nil {
		return n, fmt.Errorf("%d sessions of %s ended, but: %w", n, email, err)
	}
	return n, nil
}

// The request ids of the audit entries retiring the link secret writes.
const (
	retireRequest  = "make retire-link-secret"
	retireRotation = "make rotate-link-secret RETIRE=1"
)

// EndLinkSessions ends every session an emailed link started before now
// and records that ops did (a sign-out-all entry whose actor is the
// emailed link), under request, kept for keep.
func EndLinkSessions(ctx context.Context, st Sessions, now time.Time, keep time.Duration, request string) error {
	if err := st.EndLinkSessions(ctx, now); err != nil {
		return fmt.Errorf("end the sessions emailed links started: %w", err)
	}
	e := access.AuditEntry{At: now, Actor: access.ByLink, Action: access.SignOutAll, RequestID: request, Expires: now.Add(keep)}
	if err := st.Audit(ctx, e); err != nil {
		return fmt.Errorf("the sessions emailed links started ended, but the audit entry was not written: %w", err)
	}
	return nil
}

// linkEnder ends the link sessions once the link secret is retired: the
// store is opened (and AUDIT_RETENTION_DAYS read) before the secret
// changes, so a run that cannot end them fails before it does anything.
type linkEnder struct {
	st      Sessions
	now     func() time.Time
	out     io.Writer
	keep    time.Duration
	request string
}

func openLinkEnder(ctx context.Context, env Env, request string) (*linkEnder, error) {
	keep, err := Retention(env.Getenv)
	if err != nil {
		return nil, err
	}
	st, err := env.Open(ctx)
	if err != nil {
		return nil, err
	}
	return &linkEnder{st: st, now: env.Now, out: env.Stdout, keep: keep, request: request}, nil
}

func (l *linkEnder) end(ctx context.Context) error {
	if err := EndLinkSessions(ctx, l.st, l.now(), l.keep, l.request); err != nil {
		return err
	}
	fmt.Fprintln(l.out, "Ended every session an emailed link started: staff open their links again (with the new version's, in newer emails) or sign in.")
	return nil
}

// Print writes the trail of leadID ("" for the sign-in events) from since
// on, oldest first, as aligned columns; "No entries." when there are none.
// Nothing is written when the store fails part way.
func Print(ctx context.Context, w io.Writer, st Trail, leadID string, since, now time.Time) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tACTOR\tACTION\tLEAD\tREQUEST")
	n := 0
	for e, err := range st.AuditTrail(ctx, leadID, since, false, now) {
		if err != nil {
			if leadID == "" {
				return fmt.Errorf("read the sign-in trail: %w", err)
			}
			return fmt.Errorf("read the audit trail of lead %s: %w", leadID, err)
		}
		n++
		about := e.Lead
		if about == "" && e.Span != "" { // an owner's export: the days it held
			about = "days " + e.Span
		}
		if e.Action == access.PatientExport || e.Action == access.Erase { // a patient's data: how much
			n := fmt.Sprintf("%d %s", e.Requests, plural(e.Requests, "request", "requests"))
			if e.Action == access.Erase {
				n += fmt.Sprintf(", %d %s", e.Items, plural(e.Items, "item", "items"))
			}
			if about != "" {
				n = about + " (" + n + ")"
			}
			about = n
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.RFC3339),
			cell(e.Actor), cell(string(e.Action)), cell(about), cell(e.RequestID))
	}
	if n == 0 {
		_, err := fmt.Fprintln(w, "No entries.")
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cell is a field as printed: "-" when empty; a control character (one
// that could move the terminal's cursor) or a tab (which would shift the
// columns) shown as "?".
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// writeOut runs write on stdout, or on the file out (OUT; created with mode
// 0600, as it may hold names and contacts) and then says how many requests
// it wrote there.
func writeOut(stdout io.Writer, out string, write func(io.Writer) (int, error)) error {
	if out == "" {
		_, err := write(stdout)
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return usageError{fmt.Sprintf("OUT: %v", err)}
	}
	n, err := write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %d %s to %s.\n", n, plural(n, "request", "requests"), out)
	return nil
}
