package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cloudmap/cloudmap"
)

// A change record is the events of one commit, each as
//
//	kind byte (eventPut or eventDelete), uvarint key length, key,
//	and for a put: uvarint value length, value.
const (
	eventPut    byte = 1
	eventDelete byte = 2
)

// errCorrupt is returned for a change record that does not decode.
var errCorrupt = errors.New("corrupt change record")

// encodeEvents returns the change record of events.
func encodeEvents(events []cloudmap.Event) []byte {
	n := 0
	for _, e := range events {
		n += 1 + 2*binary.MaxVarintLen32 + len(e.Key) + len(e.Value)
	}
	b := make([]byte, 0, n)
	for _, e := range events {
		if e.Deleted {
			b = append(b, eventDelete)
			b = binary.AppendUvarint(b, uint64(len(e.Key)))
			b = append(b, e.Key...)
			continue
		}
		b = append(b, eventPut)
		b = binary.AppendUvarint(b, uint64(len(e.Key)))
		b = append(b, e.Key...)
		b = binary.AppendUvarint(b, uint64(len(e.Value)))
		b = append(b, e.Value...)
	}
	return b
}

// decodeEvents reads a change record into events that own their memory.
func decodeEvents(b []byte) ([]cloudmap.Event, error) {
	var events []cloudmap.Event
	for len(b) > 0 {
		kind := b[0]
		b = b[1:]
		key, rest, err := field(b)
		if err != nil {
			return nil, err
		}
		b = rest
		switch kind {
		case eventDelete:
			events = append(events, cloudmap.Event{Key: string(key), Deleted: true})
		case eventPut:
			value, rest, err := field(b)
			if err != nil {
				return nil, err
			}
			b = rest
			events = append(events, cloudmap.Event{Key: string(key), Value: append([]byte{}, value...)})
		default:
			return nil, fmt.Errorf("%w: event kind %d", errCorrupt, kind)
		}
	}
	return events, nil
}

// field reads one length-prefixed field of b and returns it and the rest.
func field(b []byte) (f, rest []byte, err error) {
	n, size := binary.Uvarint(b)
	if size <= 0 || n > uint64(len(b)-size) {
		return nil, nil, fmt.Errorf("%w: bad field length", errCorrupt)
	}
	b = b[size:]
	return b[:n], b[n:], nil
}
