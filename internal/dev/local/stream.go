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

// streamingDB is the table's client with a stream: each new lead it writes
// is delivered to the notify handler as the DynamoDB stream event Lambda
// would deliver, filtered as the template's event source filters.
type streamingDB struct {
	ddb.API
	stream *stream
}

// PutItem puts in's item; a lead that was not there before is an INSERT on
// the stream. A put over a stored lead (a staff change) is a MODIFY, which
// the template's filter keeps from notify, as here.
func (s streamingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	existed := false
	if ddb.IsLeadItem(in.Item) {
		key := map[string]types.AttributeValue{"pk": in.Item["pk"]}
		old, err := s.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: in.TableName, Key: key, ConsistentRead: aws.Bool(true)}, optFns...)
		if err != nil {
			return nil, err
		}
		existed = old.Item != nil
	}
	out, err := s.API.PutItem(ctx, in, optFns...)
	if err == nil && !existed {
		s.stream.insert(in.Item)
	}
	return out, err
}

func (s streamingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := s.API.TransactWriteItems(ctx, in, optFns...)
	if err == nil {
		for _, ti := range in.TransactItems {
			if ti.Put != nil {
				s.stream.insert(ti.Put.Item)
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
	log     *slog.Logger
	mu      sync.Mutex
	seq     int
	pending sync.WaitGroup
}

const (
	streamRetries = 3
	streamBackoff = 500 * time.Millisecond
)

func (s *stream) insert(item map[string]types.AttributeValue) {
	img, err := ddb.ToStream(item)
	if err != nil {
		s.log.Error("stream: convert item", "err", err)
		return
	}
	if !ddb.IsLead(img) { // the event source's FilterCriteria
		return
	}
	s.mu.Lock()
	s.seq++
	seq := strconv.Itoa(s.seq)
	s.mu.Unlock()
	e := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
		EventID: "local-" + seq, EventName: string(events.DynamoDBOperationTypeInsert), EventVersion: "1.1",
		EventSource: "aws:dynamodb", AWSRegion: "local",
		Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: time.Now()},
			Keys:                        map[string]events.DynamoDBAttributeValue{"pk": img["pk"]},
			NewImage:                    img,
			SequenceNumber:              fmt.Sprintf("%021s", seq),
			StreamViewType:              "NEW_IMAGE",
		},
	}}}
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
