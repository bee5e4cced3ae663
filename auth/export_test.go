package auth

// NumBuckets is the number of rate-limit buckets a holds (0 when off).
func NumBuckets(a *Authorizer) int {
	if a.limiter == nil {
		return 0
	}
	return a.limiter.size()
}

// MaxBuckets is the bound on rate-limit buckets.
const MaxBuckets = maxBuckets
