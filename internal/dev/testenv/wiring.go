package testenv

import (
	"context"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Part is one optional part of a function's wiring, under the rule
// internal/fn/coldstart states: the variable that turns it on, and that
// FromEnv names when its client is missing; the environment that turns it
// on; how to take its client away; and whether a handler has the part
// (nil: not seen from outside FromEnv). C is the function's Clients, H its
// handler.
type Part[C, H any] struct {
	Variable string
	On       map[string]string
	Drop     func(*C)
	Has      func(H) bool
}

// Wiring is a function's composition root under the rule's test.
type Wiring[C, H any] struct {
	// Base is an environment that turns every optional part off.
	Base map[string]string
	// All is every client; None, the clients left when every optional one
	// is nil.
	All  func() C
	None C
	// Build is FromEnv.
	Build func(getenv func(string) string, c C) (H, error)
	Parts []Part[C, H]
}

// CheckSwitches runs the rule for each part: turned on, it is built from
// its client, and without one FromEnv fails naming the variable; off, its
// client is never used and may be nil. Then every part on at once, and
// every part off with None.
func (w Wiring[C, H]) CheckSwitches(t *testing.T) {
	t.Helper()
	build := func(env map[string]string, c C) (H, error) {
		return w.Build(func(k string) string { return env[k] }, c)
	}
	for _, p := range w.Parts {
		on := maps.Clone(w.Base)
		maps.Copy(on, p.On)
		without := w.All()
		p.Drop(&without)
		t.Run(p.Variable+" on", func(t *testing.T) {
			h, err := build(on, w.All())
			if err != nil {
				t.Fatal(err)
			}
			if p.Has != nil && !p.Has(h) {
				t.Error("the part is off")
			}
		})
		t.Run(p.Variable+" on, its client nil", func(t *testing.T) {
			if _, err := build(on, without); err == nil || !strings.Contains(err.Error(), p.Variable) {
				t.Errorf("FromEnv gave %v, want an error naming %s", err, p.Variable)
			}
		})
		t.Run(p.Variable+" off, its client nil", func(t *testing.T) {
			h, err := build(w.Base, without)
			if err != nil {
				t.Fatal(err)
			}
			if p.Has != nil && p.Has(h) {
				t.Error("the part is on")
			}
		})
	}
	t.Run("every part on", func(t *testing.T) {
		env := maps.Clone(w.Base)
		for _, p := range w.Parts {
			maps.Copy(env, p.On)
		}
		h, err := build(env, w.All())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range w.Parts {
			if p.Has != nil && !p.Has(h) {
				t.Errorf("%s: the part is off", p.Variable)
			}
		}
	})
	t.Run("every part off, every optional client nil", func(t *testing.T) {
		if _, err := build(w.Base, w.None); err != nil {
			t.Fatal(err)
		}
	})
}

// EveryClientBuilt fails for each nil field of clients (a Clients struct):
// the cold start passes every client, so the environment alone decides
// what is on.
func EveryClientBuilt(t *testing.T, clients any) {
	t.Helper()
	c := reflect.ValueOf(clients)
	for i := range c.NumField() {
		if c.Field(i).IsNil() {
			t.Errorf("ClientsFrom leaves %s nil", c.Type().Field(i).Name)
		}
	}
}

// OneSecret is Secrets Manager holding the same 40-character secret under
// every ARN: a link secret long enough, or a Turnstile key.
type OneSecret struct{}

// GetSecretValue answers every read with the one secret.
func (OneSecret) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(strings.Repeat("s", 40))}, nil
}
