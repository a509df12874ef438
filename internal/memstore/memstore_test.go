package memstore_test

import (
	"testing"

	"github.com/openclinic/leadhandler/internal/memstore"
	"github.com/openclinic/leadhandler/internal/storetest"
)

var _ storetest.Store = (*memstore.Store)(nil)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return memstore.New() })
}
