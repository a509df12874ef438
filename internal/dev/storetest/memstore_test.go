package storetest_test

import (
	"testing"

	"github.com/openclinic/leadhandler/internal/dev/storetest"
)

var _ storetest.Store = (*storetest.MemStore)(nil)

func TestMemStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return storetest.NewMemStore() })
}
