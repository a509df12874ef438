// Package samtemplate reads the SAM template (template.yaml), so tests and
// the local runner build their DynamoDB table, and play API Gateway's CORS,
// from the very definition that is deployed. Its tests are the template's
// checks: CloudFormation's order, the canaries, the alarms, the hardening.
package samtemplate

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	cfnddb "github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// TableLogicalID is the table's logical id in template.yaml.
const TableLogicalID = "LeadsTable"

// HTTPAPILogicalID is the HTTP API's logical id in template.yaml.
const HTTPAPILogicalID = "HttpApi"

// StreamLogicalID is the logical id of the table's stream to notify (an
// event source mapping) in template.yaml.
const StreamLogicalID = "NotifyFunctionNewLead"

// StreamFilters returns the FilterCriteria patterns of the event source
// mapping logicalID: make dev's stream applies them as Lambda does.
func StreamFilters(t *cloudformation.Template, logicalID string) ([]string, error) {
	m, err := t.GetLambdaEventSourceMappingWithName(logicalID)
	if err != nil {
		return nil, fmt.Errorf("event source mapping %s: %w", logicalID, err)
	}
	if m.FilterCriteria == nil {
		return nil, fmt.Errorf("event source mapping %s: no FilterCriteria", logicalID)
	}
	var out []string
	for _, f := range m.FilterCriteria.Filters {
		out = append(out, aws.ToString(f.Pattern))
	}
	return out, nil
}

// Load parses the template at path.
func Load(path string) (*cloudformation.Template, error) {
	return LoadWith(path, nil)
}

// LoadWith parses the template at path as deployed with the parameter
// values params (a CommaDelimitedList's value is a []any of strings); a
// Ref to a parameter neither given nor defaulted resolves to nothing.
func LoadWith(path string, params map[string]any) (*cloudformation.Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	// Resolved as goformation.Open does, then one property renamed and one
	// dropped: goformation v7.14.9 spells SAM's AccessLogSettings of an
	// HttpApi AccessLogSetting, and knows no EventBridgeDestination of an
	// SES event destination (nothing here reads it; cfn-lint checks it),
	// and refuses the template otherwise.
	var opts *intrinsics.ProcessorOptions
	if len(params) > 0 {
		opts = &intrinsics.ProcessorOptions{ParameterOverrides: params}
	}
	b, err := intrinsics.ProcessYAML(data, opts)
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	resources, _ := doc["Resources"].(map[string]any)
	for _, r := range resources {
		r, _ := r.(map[string]any)
		props, _ := r["Properties"].(map[string]any)
		if v, ok := props["AccessLogSettings"]; ok && r["Type"] == "AWS::Serverless::HttpApi" {
			props["AccessLogSetting"] = v
			delete(props, "AccessLogSettings")
		}
		if dest, ok := props["EventDestination"].(map[string]any); ok && r["Type"] == "AWS::SES::ConfigurationSetEventDestination" {
			delete(dest, "EventBridgeDestination")
		}
	}
	if b, err = json.Marshal(doc); err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	t, err := goformation.ParseJSON(b)
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	return t, nil
}

// Table is what it takes to create the template's table through the API.
type Table struct {
	Create *dynamodb.CreateTableInput
	// TTLAttribute is the attribute DynamoDB's TTL reads, or empty.
	TTLAttribute string
}

// TableInput converts the table logicalID of t into API input named name.
// Streams are kept: moto has them, and notify's tests read them.
func TableInput(t *cloudformation.Template, logicalID, name string) (Table, error) {
	src, err := t.GetDynamoDBTableWithName(logicalID)
	if err != nil {
		return Table{}, fmt.Errorf("table %s: %w", logicalID, err)
	}
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: ddbtypes.BillingMode(aws.ToString(src.BillingMode)),
		KeySchema:   keySchema(src.KeySchema),
	}
	for _, a := range src.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: ddbtypes.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, g := range src.GlobalSecondaryIndexes {
		gsi := ddbtypes.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName),
			KeySchema: keySchema(g.KeySchema),
		}
		if g.Projection != nil {
			gsi.Projection = &ddbtypes.Projection{
				ProjectionType:   ddbtypes.ProjectionType(aws.ToString(g.Projection.ProjectionType)),
				NonKeyAttributes: g.Projection.NonKeyAttributes,
			}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	if s := src.StreamSpecification; s != nil {
		in.StreamSpecification = &ddbtypes.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: ddbtypes.StreamViewType(s.StreamViewType),
		}
	}
	if s := src.SSESpecification; s != nil {
		in.SSESpecification = &ddbtypes.SSESpecification{Enabled: aws.Bool(s.SSEEnabled)}
	}
	out := Table{Create: in}
	if ttl := src.TimeToLiveSpecification; ttl != nil && ttl.Enabled {
		out.TTLAttribute = aws.ToString(ttl.AttributeName)
	}
	return out, nil
}

func keySchema(ks []cfnddb.Table_KeySchema) []ddbtypes.KeySchemaElement {
	out := make([]ddbtypes.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, ddbtypes.KeySchemaElement{
			AttributeName: aws.String(k.AttributeName),
			KeyType:       ddbtypes.KeyType(k.KeyType),
		})
	}
	return out
}

// CORS is an HTTP API's CorsConfiguration: what API Gateway answers a
// preflight with, and adds to the responses of a cross-origin request.
type CORS struct {
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	ExposeHeaders    []string
	MaxAge           int // seconds; 0: no Access-Control-Max-Age
	AllowCredentials bool
}

// CORSConfig reads the CorsConfiguration of the HttpApi logicalID of t. An
// API without one (or with CorsConfiguration: false) has none: ok is false.
func CORSConfig(t *cloudformation.Template, logicalID string) (c CORS, ok bool, err error) {
	api, err := t.GetServerlessHttpApiWithName(logicalID)
	if err != nil {
		return CORS{}, false, fmt.Errorf("HTTP API %s: %w", logicalID, err)
	}
	cc := api.CorsConfiguration
	if cc == nil {
		return CORS{}, false, nil
	}
	if cc.Boolean != nil { // SAM's shorthand: true is every origin, no more
		return CORS{AllowOrigins: []string{"*"}}, *cc.Boolean, nil
	}
	o := cc.CorsConfigurationObject
	if o == nil {
		return CORS{}, false, nil
	}
	return CORS{
		AllowOrigins: o.AllowOrigins, AllowMethods: o.AllowMethods, AllowHeaders: o.AllowHeaders,
		ExposeHeaders: o.ExposeHeaders, MaxAge: aws.ToInt(o.MaxAge), AllowCredentials: aws.ToBool(o.AllowCredentials),
	}, true, nil
}
