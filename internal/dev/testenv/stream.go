package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// StreamEvent reads every record on table's stream from moto at endpoint,
// as the batch Lambda would deliver: GetRecords' records and a Lambda
// event's share their JSON shape, so the wire JSON is decoded straight into
// events.DynamoDBEventRecord.
func StreamEvent(t testing.TB, endpoint string, db *dynamodb.Client, table string) events.DynamoDBEvent {
	t.Helper()
	ctx := context.Background()
	d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(d.Table.LatestStreamArn)
	var stream struct {
		StreamDescription struct {
			Shards []struct{ ShardId string }
		}
	}
	streamsCall(t, endpoint, "DescribeStream", map[string]any{"StreamArn": arn}, &stream)
	var e events.DynamoDBEvent
	for _, shard := range stream.StreamDescription.Shards {
		var it struct{ ShardIterator string }
		streamsCall(t, endpoint, "GetShardIterator", map[string]any{
			"StreamArn": arn, "ShardId": shard.ShardId, "ShardIteratorType": "TRIM_HORIZON",
		}, &it)
		var page struct {
			Records []events.DynamoDBEventRecord
		}
		streamsCall(t, endpoint, "GetRecords", map[string]any{"ShardIterator": it.ShardIterator}, &page)
		for _, r := range page.Records {
			r.EventSourceArn = arn
			e.Records = append(e.Records, r)
		}
	}
	return e
}

func streamsCall(t testing.TB, endpoint, op string, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDBStreams_20120810."+op)
	// moto routes by the credential scope's service name.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/"+Region+"/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var msg bytes.Buffer
		msg.ReadFrom(res.Body)
		t.Fatalf("streams %s: status %d: %s", op, res.StatusCode, msg.String())
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("streams %s: %v", op, err)
	}
}
