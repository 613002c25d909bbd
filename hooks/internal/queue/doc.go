// Package queue is the background delivery shared by norn's hooks that do I/O (Alertmanager,
// webhooks, Pushgateway): a bounded queue, a pool of workers that send items in batches, retries
// through internal/retry (norn's one retry engine: exponential backoff with jitter, Retry-After
// honoured on 429 and 503, other 4xx answers and retry.Permanent errors never retried), counted
// and logged drops, a callback naming the items lost, Flush with a deadline and Close.
//
// Enqueue never blocks: a full queue drops the item and counts it, so a dead or hanging receiver
// never slows the caller (a runner's worker).
//
// It is internal to norn's hooks and not for delivering anything a task must not lose.
package queue
