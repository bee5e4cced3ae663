// Package fakestore is the old import path of the view tests' in-memory
// store, kept so that tests written against it keep compiling.
//
// Deprecated: use github.com/cloudmap/cloudmap/storetest/memstore, the one
// in-memory store (it passes the storetest suite, which this package's
// own store did not); this path goes once no branch imports it.
package fakestore

import "github.com/cloudmap/cloudmap/storetest/memstore"

// Store is storetest/memstore.Store.
type Store = memstore.Store

// ErrClosed is memstore.ErrClosed.
var ErrClosed = memstore.ErrClosed

// New returns memstore.New().
func New() *Store { return memstore.New() }
