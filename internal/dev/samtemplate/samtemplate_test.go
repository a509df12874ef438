package samtemplate

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
)

func TestTableInputReadsTheTemplate(t *testing.T) {
	tpl, err := Load("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := TableInput(tpl, TableLogicalID, "leads")
	if err != nil {
		t.Fatal(err)
	}
	if got.TTLAttribute != "expiresAt" {
		t.Errorf("TTL attribute = %q, want expiresAt", got.TTLAttribute)
	}
	var gsis []string
	for _, g := range got.Create.GlobalSecondaryIndexes {
		gsis = append(gsis, aws.ToString(g.IndexName))
	}
	if !slices.Equal(gsis, []string{"pending-by-created", "queue-by-time", "list-by-time"}) {
		t.Errorf("GSIs = %q, want pending-by-created, queue-by-time and list-by-time", gsis)
	}
	if got.Create.StreamSpecification == nil || got.Create.StreamSpecification.StreamViewType != "NEW_IMAGE" {
		t.Errorf("stream = %+v, want NEW_IMAGE", got.Create.StreamSpecification)
	}
}

// TestCORSConfigFollowsAllowedOrigins: the HTTP API's CORS is read from the
// template, and its origins are the AllowedOrigins parameter, the very list
// the submit function gets as ALLOWED_ORIGINS. make dev passes its
// ALLOWED_ORIGINS as that parameter, so the two cannot drift apart there
// either.
func TestCORSConfigFollowsAllowedOrigins(t *testing.T) {
	origins := []string{"https://www.example-clinic.com", "http://127.0.0.1:8089"}
	tpl, err := LoadWith("../../../template.yaml", map[string]any{"AllowedOrigins": []any{origins[0], origins[1]}})
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := CORSConfig(tpl, HTTPAPILogicalID)
	if err != nil || !ok {
		t.Fatalf("CORS %v, %v", ok, err)
	}
	want := CORS{AllowOrigins: origins, AllowMethods: []string{"POST"}, AllowHeaders: []string{"content-type"},
		ExposeHeaders: []string{"retry-after"}, MaxAge: 600}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("CorsConfiguration (-got +want):\n%s", diff)
	}
	submit, err := tpl.GetServerlessFunctionWithName("SubmitFunction")
	if err != nil {
		t.Fatal(err)
	}
	if env := submit.Environment.Variables["ALLOWED_ORIGINS"]; env != "https://www.example-clinic.com,http://127.0.0.1:8089" {
		t.Errorf("submit's ALLOWED_ORIGINS = %q: want the same origins as the API's CORS", env)
	}
}
