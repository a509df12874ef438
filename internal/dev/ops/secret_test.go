package ops_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/uuid"

	"github.com/openclinic/leadhandler/internal/access"
	"github.com/openclinic/leadhandler/internal/adapter/secrets"
	"github.com/openclinic/leadhandler/internal/dev/ops"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
	"github.com/openclinic/leadhandler/internal/link"
)

// TestRotateLinkSecret: make rotate-link-secret and make
// retire-link-secret against moto's Secrets Manager, checked by a running
// signer of the functions: a link made before a rotation works until its
// version is retired (by the next rotation, by -retire or by
// retire-link-secret), one made after works.
func TestRotateLinkSecret(t *testing.T) {
	ctx := context.Background()
	api := secretsmanager.NewFromConfig(testenv.AWSConfig(t, testenv.Moto(t)))
	created, err := api.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("link"), SecretString: aws.String(strings.Repeat("k", 64))})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	at := now // the fixture clock, moved on by each read of the secret
	s, err := link.NewRefreshingSigner(ctx, secrets.Versions(api, arn), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	const id = "0b8e4c36-3f7a-4d4c-9d7e-1c2b3a4d5e6f"
	// sign makes a link as notify would; works reports whether staff takes
	// it, both after the functions' next read of the secret.
	refresh := func() {
		at = at.Add(link.RefreshEvery)
		if err := s.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sign := func() string { return s.Sign(link.PurposeStaff, id, at.Add(time.Hour)) }
	works := func(tok string) bool {
		_, err := s.Verify(tok, link.PurposeStaff, id, at, 72*time.Hour)
		return err == nil
	}
	// The table, for the sessions emailed links started: retiring a
	// version ends them.
	st := storetest.NewMemStore()
	linkSession := func() string {
		hash := access.IDHash(uuid.NewString())
		sess := access.Session{Hash: hash, Scopes: map[string]time.Time{id: at.Add(time.Hour)}, Created: at.Add(-time.Second), Expires: at.Add(time.Hour)}
		if err := st.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		return hash
	}
	going := func(hash string) bool {
		_, err := st.Session(ctx, hash, at)
		return err == nil
	}
	tool := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		code := ops.Run(ctx, args, ops.Env{
			Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut, Now: func() time.Time { return at },
			OpenSecret: func(context.Context) (ops.Secrets, string, error) { return api, arn, nil },
			Open:       func(context.Context) (ops.Store, error) { return st, nil },
		})
		if code != 0 || errOut.Len() > 0 {
			t.Fatalf("ops %s: exit %d: %s", args, code, errOut.String())
		}
		refresh()
		return out.String()
	}
	version := regexp.MustCompile(`Version (\S+) (?:of the link secret )?is (current|previous|retired)`)
	stagesOf := func(out string) map[string]string {
		m := map[string]string{}
		for _, v := range version.FindAllStringSubmatch(out, -1) {
			m[v[2]] += v[1]
		}
		return m
	}

	before := sign()
	routine := linkSession()
	out := tool("rotate-link-secret")
	first := stagesOf(out)
	if !going(routine) || strings.Contains(out, "Ended every session") {
		t.Errorf("a routine rotation ended the link sessions:\n%s", out)
	}
	if !strings.Contains(out, "Now run make index-patients") {
		t.Errorf("the rotation does not say to index the patients under the new version:\n%s", out)
	}
	if first["current"] == "" || first["previous"] == "" || first["retired"] != "" {
		t.Fatalf("the first rotation says:\n%s", out)
	}
	after := sign()
	if !works(before) || !works(after) || before == after {
		t.Fatalf("after a rotation: the link from before works: %v, the one after: %v (they differ: %v)", works(before), works(after), before != after)
	}
	got, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(got.SecretString); !regexp.MustCompile(`^[A-Za-z0-9]{64}$`).MatchString(v) {
		t.Errorf("the new secret is %d bytes, want 64 letters and digits", len(v))
	}

	out = tool("rotate-link-secret")
	if second := stagesOf(out); second["retired"] != first["previous"] || second["previous"] != first["current"] {
		t.Fatalf("the second rotation says:\n%s\nafter the first said:\n%s", out, first)
	}
	if works(before) || !works(after) {
		t.Errorf("after a second rotation: two rotations old works: %v (want not), one rotation old: %v (want it to)", works(before), works(after))
	}

	before = sign()
	leaked := linkSession()
	out = tool("rotate-link-secret", "-retire")
	if stages := stagesOf(out); stages["previous"] != "" || stages["current"] == "" || !strings.Contains(stages["retired"], first["current"]) {
		t.Fatalf("rotate -retire says:\n%s", out)
	}
	if going(leaked) || !strings.Contains(out, "Ended every session an emailed link started") {
		t.Errorf("rotate -retire left a link session going:\n%s", out)
	}
	if works(before) || works(after) || !works(sign()) {
		t.Errorf("after rotate -retire: the link from before works: %v (want not), a new one: %v", works(before), works(sign()))
	}
	if out := tool("retire-link-secret"); !strings.Contains(out, "no previous version") {
		t.Errorf("retire with nothing to retire says: %s", out)
	}

	before = sign()
	tool("rotate-link-secret")
	if !works(before) {
		t.Fatal("the link from before the rotation does not work")
	}
	opened := linkSession()
	if out := tool("retire-link-secret"); !strings.Contains(out, "Retired version") || !strings.Contains(out, "Ended every session an emailed link started") {
		t.Errorf("retire says: %s", out)
	}
	if going(opened) {
		t.Error("retire-link-secret left a link session going")
	}
	var ends []string
	for _, e := range st.AuditEntries() {
		ends = append(ends, e.Actor+" "+string(e.Action)+" "+e.RequestID)
	}
	if want := []string{access.ByLink + " sign-out-all make rotate-link-secret RETIRE=1", access.ByLink + " sign-out-all make retire-link-secret"}; !slices.Equal(ends, want) {
		t.Errorf("audit entries %q, want %q", ends, want)
	}
	if works(before) || !works(sign()) {
		t.Errorf("after retire-link-secret: the link from before works: %v (want not), a new one: %v", works(before), works(sign()))
	}
}

// TestRetiringNeedsTheTable: a retirement that could not end the link
// sessions (no table found) fails before the secret changes.
func TestRetiringNeedsTheTable(t *testing.T) {
	for _, args := range [][]string{{"rotate-link-secret", "-retire"}, {"retire-link-secret"}} {
		var out, errOut bytes.Buffer
		code := ops.Run(context.Background(), args, ops.Env{
			Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut, Now: func() time.Time { return now },
			OpenSecret: func(context.Context) (ops.Secrets, string, error) { return untouched{t}, "arn:link", nil },
			Open:       func(context.Context) (ops.Store, error) { return nil, errors.New(`no stack "x"`) },
		})
		if code != ops.ExitStore || !strings.Contains(errOut.String(), `no stack "x"`) || out.Len() > 0 {
			t.Errorf("%s: exit %d, stderr %q, stdout %q", args, code, errOut.String(), out.String())
		}
	}
}

// untouched is a Secrets Manager client the test must not call.
type untouched struct{ t *testing.T }

func (u untouched) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	u.t.Error("the secret was read")
	return nil, errors.New("unexpected")
}

func (u untouched) PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	u.t.Error("the secret was changed")
	return nil, errors.New("unexpected")
}

func (u untouched) UpdateSecretVersionStage(context.Context, *secretsmanager.UpdateSecretVersionStageInput, ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	u.t.Error("a version was retired")
	return nil, errors.New("unexpected")
}

func TestRotateLinkSecretFails(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		args       []string
		code       int
	}{
		{"no secret found", `no stack "x"`, []string{"rotate-link-secret"}, 1},
		{"retire, no secret found", `no stack "x"`, []string{"retire-link-secret"}, 1},
		{"stray argument", `"now"`, []string{"retire-link-secret", "now"}, 2},
		{"unknown flag", "-force", []string{"rotate-link-secret", "-force"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := ops.Run(context.Background(), tc.args, ops.Env{
				Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut, Now: func() time.Time { return now },
				OpenSecret: func(context.Context) (ops.Secrets, string, error) { return nil, "", errors.New(`no stack "x"`) },
			})
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) || out.Len() > 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want %d and %q", code, errOut.String(), out.String(), tc.code, tc.want)
			}
		})
	}
}

func TestSecretARN(t *testing.T) {
	cfn := &fakeCFN{describe: func(string) (*cloudformation.DescribeStacksOutput, error) {
		return stackWith(ops.TableOutput, "t", ops.SecretOutput, "arn:aws:secretsmanager:eu-west-1:1:secret:LinkSecret-x"), nil
	}}
	got, err := ops.SecretARN(context.Background(), func(string) string { return "" }, cfn, "clinic-a", "eu-west-1")
	if err != nil || got != "arn:aws:secretsmanager:eu-west-1:1:secret:LinkSecret-x" {
		t.Errorf("from the stack: %q, %v", got, err)
	}
	got, err = ops.SecretARN(context.Background(), func(k string) string { return map[string]string{"LINK_SECRET_ARN": "arn:own"}[k] }, cfn, "clinic-a", "eu-west-1")
	if err != nil || got != "arn:own" || len(cfn.asked) != 1 {
		t.Errorf("LINK_SECRET_ARN set: %q, %v, %d asks", got, err, len(cfn.asked))
	}
	old := &fakeCFN{describe: func(string) (*cloudformation.DescribeStacksOutput, error) {
		return stackWith(ops.TableOutput, "t"), nil
	}}
	_, err = ops.SecretARN(context.Background(), func(string) string { return "" }, old, "clinic-a", "eu-west-1")
	if err == nil || !strings.Contains(err.Error(), "LinkSecretArn") || !strings.Contains(err.Error(), "LINK_SECRET_ARN") {
		t.Errorf("a stack deployed before the output: %v", err)
	}
}
