package view_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cloudmap/cloudmap"
)

// waitResult starts WaitRevision in a goroutine and returns its result.
func waitResult(ctx context.Context, f *fixture, svc string, index int64) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f.view.WaitRevision(ctx, "shop", svc, "", index) }()
	return done
}

func blocked(done <-chan error) bool {
	synctest.Wait()
	select {
	case <-done:
		return false
	default:
		return true
	}
}

func TestView_WaitRevision(t *testing.T) {
	t.Run("returns at once when the index is not current", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := memShop(t)
			rev := revision(t, f.view, "shop", "cart")
			if blocked(waitResult(t.Context(), f, "cart", rev-1)) {
				t.Fatal("WaitRevision with an old index blocked")
			}
		})
	})
	t.Run("waits for a change of its own service only", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := memShop(t)
			rev := revision(t, f.view, "shop", "cart")
			done := waitResult(t.Context(), f, "cart", rev)
			if !blocked(done) {
				t.Fatal("WaitRevision with the current index returned at once")
			}
			f.commit(inst("srv-plain", "r"))
			if !blocked(done) {
				t.Fatal("a registration in another service woke the waiter")
			}
			f.commit(inst("srv-cart", "d"))
			if err := <-done; err != nil {
				t.Fatalf("WaitRevision = %v", err)
			}
			if got := revision(t, f.view, "shop", "cart"); got == rev {
				t.Fatalf("revision still %d after the registration", got)
			}
		})
	})
	t.Run("a health change wakes", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := memShop(t)
			done := waitResult(t.Context(), f, "cart", revision(t, f.view, "shop", "cart"))
			blocked(done)
			f.commit(health("srv-cart", "c", cloudmap.Healthy))
			if err := <-done; err != nil {
				t.Fatalf("WaitRevision = %v", err)
			}
		})
	})
	t.Run("deleting the service wakes", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := memShop(t)
			done := waitResult(t.Context(), f, "plain", revision(t, f.view, "shop", "plain"))
			blocked(done)
			f.commit(append(deregister("srv-plain", "p"), append(deregister("srv-plain", "q"), del(cloudmap.ServiceKey("srv-plain")))...)...)
			if err := <-done; err != nil {
				t.Fatalf("WaitRevision = %v", err)
			}
		})
	})
	t.Run("ends with its context", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := memShop(t)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			err := <-waitResult(ctx, f, "cart", revision(t, f.view, "shop", "cart"))
			if err != context.DeadlineExceeded {
				t.Fatalf("WaitRevision = %v, want the context's deadline", err)
			}
		})
	})
	t.Run("unknown service answers at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := memShop(t)
			if blocked(waitResult(t.Context(), f, "nosuch", 0)) {
				t.Fatal("WaitRevision of an unknown service blocked")
			}
		})
	})
	t.Run("closing the view wakes", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := memShop(t)
			done := waitResult(t.Context(), f, "cart", revision(t, f.view, "shop", "cart"))
			blocked(done)
			f.view.Close()
			if err := <-done; err != nil {
				t.Fatalf("WaitRevision = %v", err)
			}
		})
	})
}

func TestView_WatchNamespace_WakesOnAnyServiceOfIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := memShop(t)
		ns, entries, serial, ch, err := f.view.WatchNamespace(cloudmap.Cell{}, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if ns.Id != "ns-shop" || len(entries) != 3 || entries[0].Service.Name != "cart" {
			t.Fatalf("WatchNamespace = %s, %d entries", ns.Id, len(entries))
		}
		f.commit(inst("srv-probe", "y"))
		select {
		case <-ch:
		default:
			t.Fatal("a registration in the namespace did not close the channel")
		}
		_, _, serial2, _, _ := f.view.WatchNamespace(cloudmap.Cell{}, "shop")
		if serial2 == serial {
			t.Fatal("serial unchanged after a registration")
		}
		if _, _, _, _, err := f.view.WatchNamespace(cloudmap.Cell{}, "nosuch"); code(err) != cloudmap.ErrNamespaceNotFound {
			t.Fatalf("unknown namespace: %v", err)
		}
	})
}

func TestView_AfterRevision(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := memShop(t)
		called := make(chan struct{}, 4)
		rev, err := f.view.AfterRevision(cloudmap.Cell{}, "shop", "cart", "", func() { called <- struct{}{} })
		if err != nil || rev != revision(t, f.view, "shop", "cart") {
			t.Fatalf("AfterRevision = %d, %v; want the current revision", rev, err)
		}
		f.commit(inst("srv-plain", "r"))
		synctest.Wait()
		if len(called) != 0 {
			t.Fatal("a registration in another service called the function")
		}
		f.commit(inst("srv-cart", "d"))
		synctest.Wait()
		if len(called) != 1 {
			t.Fatalf("the function was called %d times at its service's change, want once", len(called))
		}
		f.commit(inst("srv-cart", "e"))
		synctest.Wait()
		if len(called) != 1 {
			t.Fatal("the function was called again at the next change: it is called once")
		}
		if _, err := f.view.AfterRevision(cloudmap.Cell{}, "shop", "nosuch", "", func() {}); cloudmap.ErrorCode(err) != cloudmap.ErrServiceNotFound {
			t.Fatalf("unknown service: %v, want ServiceNotFound", err)
		}
	})
}

func TestView_AfterServiceAndNamespace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := memShop(t)
		svc, ns := make(chan struct{}, 4), make(chan struct{}, 4)
		e, err := f.view.AfterService(cloudmap.Cell{}, "shop", "cart", func() { svc <- struct{}{} })
		if err != nil || e.Service.Name != "cart" {
			t.Fatalf("AfterService = %v, %v; want the entry of cart", e, err)
		}
		n, entries, _, err := f.view.AfterNamespace(cloudmap.Cell{}, "shop", func() { ns <- struct{}{} })
		if err != nil || n == nil || len(entries) == 0 {
			t.Fatalf("AfterNamespace = %v, %d entries, %v", n, len(entries), err)
		}
		f.commit(inst("srv-plain", "r")) // another service of the namespace
		synctest.Wait()
		if len(svc) != 0 || len(ns) != 1 {
			t.Fatalf("a change of another service: service function called %d times (want 0), namespace function %d (want 1)", len(svc), len(ns))
		}
		f.commit(inst("srv-cart", "d"))
		synctest.Wait()
		if len(svc) != 1 || len(ns) != 1 {
			t.Fatalf("a change of cart: service function called %d times (want 1), namespace function %d (want still 1: once)", len(svc), len(ns))
		}
		if _, _, _, err := f.view.AfterNamespace(cloudmap.Cell{}, "nosuch", func() {}); cloudmap.ErrorCode(err) != cloudmap.ErrNamespaceNotFound {
			t.Fatalf("unknown namespace: %v, want NamespaceNotFound", err)
		}
	})
}
