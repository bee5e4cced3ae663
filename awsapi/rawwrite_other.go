//go:build !unix

package awsapi

import (
	"net"
	"syscall"
)

// rawConn is nil here: every write of a stream takes the ordinary way.
func rawConn(net.Conn) syscall.RawConn { return nil }

func tryWrite(syscall.RawConn, []byte) (int, error) { return 0, nil }
