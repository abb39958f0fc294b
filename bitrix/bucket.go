package bitrix

import (
	"context"
	"time"
)

// Bucket is a portal's leaky bucket as a Limiter measured it: Level
// requests were in it at wall time At.
type Bucket struct {
	Level float64
	At    time.Time
}

// BucketStore keeps a Limiter's bucket where every b24desk process on one
// state can read and change it (connector/store implements it in the
// state's database), so that a restarted daemon and the CLI commands beside
// it continue the bucket the others filled instead of starting empty.
type BucketStore interface {
	// UpdateBucket runs fn on the stored bucket of portal in one exclusive
	// transaction: fn gets the stored bucket (found false: none yet) and
	// returns the new one, which is stored before UpdateBucket returns.
	// fn must not block. When UpdateBucket fails, nothing is stored.
	UpdateBucket(ctx context.Context, portal string, fn func(b Bucket, found bool) Bucket) error
}

// sharedRetryAfter is how long a Limiter whose BucketStore failed works on
// its in-process bucket before it tries the store again.
const sharedRetryAfter = 30 * time.Second

// sharedTimeout bounds one UpdateBucket: a store that does not answer in
// time (a long write transaction of another process, a stuck disk) sends
// the limiter to its in-process bucket rather than holding the request.
const sharedTimeout = 5 * time.Second
