// A Lambda-like main that loads the SDK's shared configuration: checkbuild
// must refuse it.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/config"
)

func main() { config.LoadDefaultConfig(context.Background()) }
