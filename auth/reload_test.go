package auth_test

import (
	"sync"
	"testing"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/auth"
)

// TestAuthorizer_SetKeysConcurrent swaps the keys while requests are being
// checked (run with -race): the key present in every set always passes,
// the key that comes and goes either passes or is unrecognized.
func TestAuthorizer_SetKeysConcurrent(t *testing.T) {
	guest := auth.Key{Name: "guest", AccessKeyID: "AKIDGUEST", SecretAccessKey: "g"}
	a := newAuthorizer([]auth.Key{admin})
	adminReq := sign(t, signing{}, "{}")
	guestReq := sign(t, signing{id: guest.AccessKeyID, secret: guest.SecretAccessKey}, "{}")
	const rounds = 300
	var wg sync.WaitGroup
	errs := make(chan error, 4*rounds)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range rounds {
			if i%2 == 0 {
				a.SetKeys([]auth.Key{admin, guest})
			} else {
				a.SetKeys([]auth.Key{admin})
			}
		}
	}()
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if err := authorize(a, adminReq, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{}); err != nil {
					errs <- err
				}
				err := authorize(a, guestReq, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{})
				if err != nil && cloudmap.ErrorCode(err) != cloudmap.ErrUnrecognizedClient {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	a.SetKeys([]auth.Key{admin, guest})
	checkErr(t, authorize(a, guestReq, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{}), "", "")
	a.SetKeys([]auth.Key{guest})
	checkErr(t, authorize(a, adminReq, []byte("{}"), "ListNamespaces", &cloudmap.ListInput{}), cloudmap.ErrUnrecognizedClient, "")
}
