// Command doctor is make doctor: it asks SES, with the AWS credentials and
// region of the environment, and public DNS about the sender's domain,
// whether the clinic's email can go out.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/openclinic/leadhandler/internal/dev/doctor"
)

func main() {
	sender := flag.String("sender", "", "the SenderEmail parameter: the address emails come from")
	recipients := flag.String("recipients", "", "the ClinicEmail parameter: where alerts go, comma-separated")
	set := flag.String("configuration-set", "", "the stack's SES configuration set (SES_CONFIGURATION_SET): checked for its EventBridge event destination; empty: not checked")
	rate := flag.String("max-send-rate", "", "the SesMaxSendRate parameter (SES_MAX_SEND_RATE), emails a second, 0 for no limit: compared with the account's; empty: not compared")
	sendTest := flag.Bool("send-test", false, "also send a test alert to the clinic through -configuration-set and wait for SES's delivery events (make doctor SEND_TEST=1)")
	wait := flag.Duration("send-test-wait", 3*time.Minute, "how long -send-test waits for the delivery events")
	flag.Parse()
	setup := doctor.Setup{Sender: *sender, ConfigurationSet: *set}
	if *rate != "" {
		r, err := strconv.ParseFloat(*rate, 64)
		if err != nil || r < 0 {
			fmt.Fprintln(os.Stderr, "doctor: -max-send-rate (SES_MAX_SEND_RATE) is not a number of emails a second:", *rate)
			os.Exit(2)
		}
		setup.MaxSendRate = &r
	}
	if *sender == "" || *recipients == "" {
		fmt.Fprintln(os.Stderr, "doctor: usage: make doctor SENDER_EMAIL=alerts@example-clinic.com CLINIC_EMAIL=frontdesk@example-clinic.com [SES_CONFIGURATION_SET=... SES_MAX_SEND_RATE=...] [SEND_TEST=1] [AWS_PROFILE=... AWS_REGION=...]")
		os.Exit(2)
	}
	if *sendTest && *set == "" {
		fmt.Fprintln(os.Stderr, "doctor: SEND_TEST=1 needs SES_CONFIGURATION_SET: the test alert's delivery is reported through the stack's configuration set")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "doctor: load AWS configuration:", err)
		os.Exit(2)
	}
	if cfg.Region == "" {
		fmt.Fprintln(os.Stderr, "doctor: no AWS region: set AWS_REGION (the stack's region) or a profile's region")
		os.Exit(2)
	}
	for _, a := range strings.Split(*recipients, ",") {
		if a = strings.TrimSpace(a); a != "" {
			setup.Recipients = append(setup.Recipients, a)
		}
	}
	report, err := doctor.Check(ctx, sesv2.NewFromConfig(cfg), net.DefaultResolver, setup)
	if err != nil {
		fmt.Fprintln(os.Stderr, "doctor:", err)
		os.Exit(2)
	}
	if *sendTest && report.OK() {
		run := make([]byte, 6)
		rand.Read(run)
		fmt.Printf("Sending a test alert to %s and waiting up to %s for SES's delivery events...\n", strings.Join(setup.Recipients, ", "), *wait)
		st := doctor.SendTest{SES: sesv2.NewFromConfig(cfg), Events: eventbridge.NewFromConfig(cfg), Queue: sqs.NewFromConfig(cfg),
			Run: hex.EncodeToString(run), Wait: *wait, Now: time.Now}
		found, err := st.Check(ctx, setup)
		if err != nil {
			fmt.Print(found) // what it saw before failing to clean up
			fmt.Fprintln(os.Stderr, "doctor: send test:", err)
			os.Exit(2)
		}
		report = append(report, found...)
	} else if *sendTest {
		report = append(report, doctor.Finding{Level: doctor.Warning, Title: "No test alert sent: fix the problems above first"})
	}
	fmt.Printf("SES in %s, sending as %s to %s:\n\n%s", cfg.Region, *sender, strings.Join(setup.Recipients, ", "), report)
	if !report.OK() {
		fmt.Println("\nThe clinic's email will not (all) go out until the problems above are fixed.")
		os.Exit(1)
	}
	fmt.Println("\nSES can send the clinic's email.")
}
