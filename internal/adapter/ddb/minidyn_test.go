package ddb

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"
	"github.com/truora/minidyn/server"

	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/dev/storetest"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestContractMinidyn runs the contract against minidyn, the in-process
// DynamoDB behind make dev, served over HTTP to the real SDK client.
func TestContractMinidyn(t *testing.T) {
	db := minidynClient(t)
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return scanned{New(db, minidynTable(t, db)), db}
	})
}

// minidynClient serves a minidyn for the test, to the real SDK client.
func minidynClient(t *testing.T) *dynamodb.Client {
	srv := httptest.NewServer(server.NewServer())
	t.Cleanup(srv.Close)
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
	})
}

// minidynTable makes a fresh table from template.yaml on db and names it.
// minidyn has no streams, so the table is made without one.
func minidynTable(t *testing.T, db *dynamodb.Client) string {
	t.Helper()
	tpl, err := samtemplate.Load(testenv.Root(t) + "/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	name := "leads-" + uuid.NewString()[:8]
	in, err := samtemplate.TableInput(tpl, samtemplate.TableLogicalID, name)
	if err != nil {
		t.Fatal(err)
	}
	in.Create.StreamSpecification = nil
	if _, err := db.CreateTable(context.Background(), in.Create); err != nil {
		t.Fatal(err)
	}
	return name
}
