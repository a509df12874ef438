package local

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
)

// streamingDB is the table's client with a stream: each item it puts is
// a record on the stream (INSERT, or MODIFY over an item there before),
// delivered to the notify handler as the DynamoDB stream event Lambda
// would deliver, if the template's event source filters pass it (read
// from template.yaml's NotifyFunctionNewLead): new leads, and code items
// whose code is owed.
// Updates are not streamed: the filters pass none that matters (a code
// item's tries counted before its email went out would reach notify again,
// which then finds it sent).
type streamingDB struct {
	ddb.API
	stream *stream
}

// PutItem puts in's item, a record on the stream if the filters may pass
// it: then whether the item was there before (MODIFY) or not (INSERT) is
// read first, as the stream would tell.
func (s streamingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	mayPass := s.stream.mayPass(in.Item)
	existed := false
	if mayPass {
		key := map[string]types.AttributeValue{"pk": in.Item["pk"]}
		old, err := s.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: in.TableName, Key: key, ConsistentRead: aws.Bool(true)}, optFns...)
		if err != nil {
			return nil, err
		}
		existed = old.Item != nil
	}
	out, err := s.API.PutItem(ctx, in, optFns...)
	if err == nil && mayPass {
		op := events.DynamoDBOperationTypeInsert
		if existed {
			op = events.DynamoDBOperationTypeModify
		}
		s.stream.put(op, in.Item)
	}
	return out, err
}

// TransactWriteItems writes in's items; each put is an INSERT on the
// stream (the only puts in a transaction are of new items: a held request
// released as a lead).
func (s streamingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := s.API.TransactWriteItems(ctx, in, optFns...)
	if err == nil {
		for _, ti := range in.TransactItems {
			if ti.Put != nil {
				s.stream.put(events.DynamoDBOperationTypeInsert, ti.Put.Item)
			}
		}
	}
	return out, err
}

// handler is what the stream delivers to.
type handler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// stream delivers records one by one in the background, retrying a failed
// record as Lambda would, a few times.
type stream struct {
	deliver handler
	// filters are the template's (samtemplate.StreamFilters).
	filters filters
	log     *slog.Logger
	mu      sync.Mutex
	seq     int
	pending sync.WaitGroup
}

const (
	streamRetries = 3
	streamBackoff = 500 * time.Millisecond
)

// record is the stream record of item written by op, as Lambda hands it on.
func record(op events.DynamoDBOperationType, item map[string]types.AttributeValue, seq string) (events.DynamoDBEventRecord, error) {
	img, err := ddb.ToStream(item)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	return events.DynamoDBEventRecord{
		EventID: "local-" + seq, EventName: string(op), EventVersion: "1.1",
		EventSource: "aws:dynamodb", AWSRegion: "local",
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: time.Now()},
			Keys:                        map[string]events.DynamoDBAttributeValue{"pk": img["pk"]},
			NewImage:                    img,
			SequenceNumber:              fmt.Sprintf("%021s", seq),
			StreamViewType:              "NEW_IMAGE",
		},
	}, nil
}

// mayPass reports whether the filters pass item as an INSERT or a MODIFY.
func (s *stream) mayPass(item map[string]types.AttributeValue) bool {
	for _, op := range []events.DynamoDBOperationType{events.DynamoDBOperationTypeInsert, events.DynamoDBOperationTypeModify} {
		if r, err := record(op, item, "0"); err == nil && s.filters.pass(r) {
			return true
		}
	}
	return false
}

// put delivers the record of item written by op, if the filters pass it.
func (s *stream) put(op events.DynamoDBOperationType, item map[string]types.AttributeValue) {
	if r, err := record(op, item, "0"); err != nil {
		s.log.Error("stream: convert item", "err", err)
		return
	} else if !s.filters.pass(r) { // the event source's FilterCriteria
		return
	}
	s.mu.Lock()
	s.seq++
	seq := strconv.Itoa(s.seq)
	s.mu.Unlock()
	r, _ := record(op, item, seq) // converted above
	e := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{r}}
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		for try := 1; ; try++ {
			res, err := s.deliver(context.Background(), e)
			if err == nil && len(res.BatchItemFailures) == 0 {
				return
			}
			if try > streamRetries {
				s.log.Error("stream: record failed after retries", "eventId", e.Records[0].EventID)
				return
			}
			time.Sleep(streamBackoff * time.Duration(try))
		}
	}()
}

// wait returns once every record so far is delivered (or given up).
func (s *stream) wait() { s.pending.Wait() }
