package samtemplate_test

import (
	"reflect"
	"strings"
	"testing"
)

// TestResponseGuardRoles: a lead's schedule runs as a role only
// EventBridge Scheduler (of this account) may take, which may invoke the
// follow-up function and nothing else; notify passes exactly that role,
// to the scheduler only, and points its schedules at that function's alias.
func TestResponseGuardRoles(t *testing.T) {
	res := raw(t)["Resources"].(map[string]any)
	role := res["NudgeSchedulerRole"].(map[string]any)["Properties"].(map[string]any)
	trust := role["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
	if len(trust) != 1 || !reflect.DeepEqual(trust[0].(map[string]any)["Principal"], map[string]any{"Service": "scheduler.amazonaws.com"}) ||
		!reflect.DeepEqual(trust[0].(map[string]any)["Condition"], map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": map[string]any{"Ref": "AWS::AccountId"}}}) {
		t.Errorf("NudgeSchedulerRole trusts %v: want the scheduler of this account only", trust)
	}
	pols := role["Policies"].([]any)
	if len(pols) != 1 {
		t.Fatalf("NudgeSchedulerRole has %d policies, want 1", len(pols))
	}
	sts := pols[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)
	// The alias live; and the function itself, for schedules armed before
	// the alias (1.0.0), which name it and may fire days later.
	want := map[string]any{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": []any{
		map[string]any{"Ref": "FollowUpFunctionAliaslive"}, map[string]any{"Fn::GetAtt": "FollowUpFunction.Arn"},
	}}
	if len(sts) != 1 || !reflect.DeepEqual(sts[0], want) {
		t.Errorf("NudgeSchedulerRole allows %v, want only %v", sts, want)
	}

	fns := functions(t)
	env := fns["NotifyFunction"]["Environment"].(map[string]any)["Variables"].(map[string]any)
	if !reflect.DeepEqual(env["NUDGE_TARGET_ARN"], map[string]any{"Ref": "FollowUpFunctionAliaslive"}) ||
		!reflect.DeepEqual(env["NUDGE_ROLE_ARN"], map[string]any{"Fn::GetAtt": "NudgeSchedulerRole.Arn"}) {
		t.Errorf("notify's schedules target %v as %v", env["NUDGE_TARGET_ARN"], env["NUDGE_ROLE_ARN"])
	}
	var pass []map[string]any
	for _, p := range policies(fns["NotifyFunction"]) {
		for _, st := range p["Statement"].([]any) {
			if st := st.(map[string]any); st["Action"] == "iam:PassRole" {
				pass = append(pass, st)
			}
		}
	}
	if len(pass) != 1 || !reflect.DeepEqual(pass[0]["Resource"], map[string]any{"Fn::GetAtt": "NudgeSchedulerRole.Arn"}) ||
		!reflect.DeepEqual(pass[0]["Condition"], map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "scheduler.amazonaws.com"}}) {
		t.Errorf("notify's iam:PassRole: %v, want NudgeSchedulerRole, to the scheduler only", pass)
	}
}

// TestResponseGuardGroup: the schedules live in the stack's own schedule
// group, which notify and staff both name, and their scheduler
// permissions reach that group's lead schedules only (the account's
// default group is every stack's).
func TestResponseGuardGroup(t *testing.T) {
	res := raw(t)["Resources"].(map[string]any)
	g, _ := res["NudgeScheduleGroup"].(map[string]any)
	if g["Type"] != "AWS::Scheduler::ScheduleGroup" ||
		!reflect.DeepEqual(g["Properties"], map[string]any{"Name": map[string]any{"Fn::Sub": "${AWS::StackName}-nudges"}}) {
		t.Errorf("NudgeScheduleGroup: %v, want a schedule group named from the stack", g)
	}
	want := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${NudgeScheduleGroup}/lead-*"}
	fns := functions(t)
	for id, fn := range fns {
		env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		var actions []string
		for _, p := range policies(fn, "HasStaffSms") {
			for _, st := range p["Statement"].([]any) {
				st := st.(map[string]any)
				var acts []any
				switch a := st["Action"].(type) {
				case string:
					acts = []any{a}
				case []any:
					acts = a
				}
				for _, a := range acts {
					if a := a.(string); strings.HasPrefix(a, "scheduler:") {
						actions = append(actions, a)
						if !reflect.DeepEqual(st["Resource"], want) {
							t.Errorf("%s: %s on %v, want only the stack group's lead schedules", id, a, st["Resource"])
						}
					}
				}
			}
		}
		named := reflect.DeepEqual(env["NUDGE_GROUP"], map[string]any{"Ref": "NudgeScheduleGroup"})
		if (len(actions) > 0) != named {
			t.Errorf("%s: scheduler actions %v, NUDGE_GROUP %v: want the group named exactly where schedules are made or deleted", id, actions, env["NUDGE_GROUP"])
		}
	}
	if _, ok := fns["NotifyFunction"]["Environment"].(map[string]any)["Variables"].(map[string]any)["NUDGE_GROUP"]; !ok {
		t.Error("notify names no NUDGE_GROUP")
	}
}
