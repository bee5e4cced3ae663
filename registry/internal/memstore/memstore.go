// Package memstore is the old import path of the tests' in-memory store,
// kept so that tests written against it keep compiling.
//
// Deprecated: use github.com/cloudmap/cloudmap/storetest/memstore, the one
// in-memory store (it passes the storetest suite); this path goes once no
// branch imports it.
package memstore

import "github.com/cloudmap/cloudmap/storetest/memstore"

// Store is storetest/memstore.Store.
type Store = memstore.Store

// New returns memstore.New().
func New() *Store { return memstore.New() }
