// Package cloudmap is the vocabulary of cloudmap, a self-hostable AWS Cloud
// Map: the domain types, the input and output of every API operation, the
// Store interface every backend implements, and the Error type that carries
// AWS error codes. It imports only the standard library; every other package
// of the module builds on it.
package cloudmap
