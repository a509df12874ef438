package ops

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/openclinic/leadhandler/internal/adapter/ddb"
)

// LocalDir is make dev's folder, relative to the repository's root.
const LocalDir = ".local"

// OpenLocal opens the store on make dev's embedded table, as recorded in
// dir: the loopback endpoint it serves, with the placeholder credentials
// it takes.
func OpenLocal(dir string) (*ddb.Store, LocalTable, error) {
	t, err := ReadLocal(dir)
	if err != nil {
		return nil, t, err
	}
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(t.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	return ddb.New(db, t.Table), t, nil
}
