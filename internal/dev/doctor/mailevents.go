package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// trackedEvents are the events MailEventsFunction records on a lead, in the
// order the template's MailEventsDestination names them.
var trackedEvents = []types.EventType{types.EventTypeDelivery, types.EventTypeBounce, types.EventTypeComplaint, types.EventTypeDeliveryDelay, types.EventTypeReject}

// checkConfigurationSet checks that the set every email names exists (SES
// refuses to send an email naming a set it does not have) and publishes the
// events MailEventsFunction records to EventBridge.
func checkConfigurationSet(ctx context.Context, api SES, name string) Report {
	out, err := api.GetConfigurationSetEventDestinations(ctx, &sesv2.GetConfigurationSetEventDestinationsInput{ConfigurationSetName: aws.String(name)})
	var missing *types.NotFoundException
	switch {
	case errors.As(err, &missing):
		return Report{{Problem, "The configuration set " + name + " does not exist in this region",
			"SES refuses every email that names it, and the stack's emails all do (SES_CONFIGURATION_SET).\n" +
				"Deploy the stack in this region (it creates the set), or pass the stack's set: -configuration-set."}}
	case err != nil:
		return Report{{Warning, "Could not read the event destinations of the configuration set " + name + " (" + errCode(err) + ")", ""}}
	}
	var best []types.EventType
	disabled := false
	for _, d := range out.EventDestinations {
		if d.EventBridgeDestination == nil {
			continue
		}
		if !d.Enabled {
			disabled = true
			continue
		}
		var lacks []types.EventType
		for _, e := range trackedEvents {
			found := false
			for _, m := range d.MatchingEventTypes {
				found = found || m == e
			}
			if !found {
				lacks = append(lacks, e)
			}
		}
		if best == nil || len(lacks) < len(best) {
			best = lacks
		}
		if len(lacks) == 0 {
			return Report{{OK, "The configuration set " + name + " publishes delivery, bounce, complaint, delay and reject events to EventBridge", ""}}
		}
	}
	if best == nil {
		why := "has no EventBridge event destination"
		if disabled {
			why = "has its EventBridge event destination disabled"
		}
		return Report{{Warning, "The configuration set " + name + " " + why,
			"SES publishes no delivery or bounce events where the stack listens, so MailEventsFunction cannot\nrecord whether alerts arrived, and the undelivered-alert alarm stays silent. Redeploy the stack (its MailEventsDestination is enabled), or enable it in the SES console\n(Configuration sets > " + name + " > Event destinations)."}}
	}
	names := make([]string, len(best))
	for i, e := range best {
		names[i] = strings.ToLower(string(e))
	}
	return Report{{Warning, "The EventBridge destination of the configuration set " + name + " leaves out " + strings.Join(names, ", ") + " events",
		"SES does not publish them, so MailEventsFunction cannot record those outcomes on leads.\nRedeploy the stack, or add them in the SES console (Configuration sets > " + name + " > Event destinations)."}}
}

// checkSendRate compares SesMaxSendRate (rate emails a second, 0 for no
// limit) with the account's maximum send rate.
func checkSendRate(rate float64, quota *types.SendQuota) Finding {
	if quota == nil || quota.MaxSendRate <= 0 {
		return Finding{Warning, "SES did not say the account's maximum send rate", "Compare SesMaxSendRate with the SES console's account dashboard."}
	}
	account := quota.MaxSendRate
	set := "Set SesMaxSendRate (SES_MAX_SEND_RATE) to " + fmt.Sprintf("%g", account) + " and redeploy."
	switch {
	case rate == 0:
		return Finding{Warning, fmt.Sprintf("SesMaxSendRate is 0 (no limit), and the account sends at most %g emails a second", account),
			"A burst of leads makes SES throttle the alerts beyond that rate; they are retried, but late. " + set}
	case rate > account:
		return Finding{Warning, fmt.Sprintf("SesMaxSendRate %g is above the account's maximum send rate, %g a second", rate, account),
			"SES throttles sends beyond its rate, so alerts in a burst fail and are retried, late. " + set}
	case rate < account/2:
		return Finding{Warning, fmt.Sprintf("SesMaxSendRate %g is far below the account's maximum send rate, %g a second", rate, account),
			"Alerts in a burst wait longer than SES requires. " + set}
	default:
		return Finding{OK, fmt.Sprintf("SesMaxSendRate %g fits the account's maximum send rate, %g a second", rate, account), ""}
	}
}
