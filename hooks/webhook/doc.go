// Package webhook is a norn hook that posts a run's outcome to an HTTP endpoint: either as
// generic JSON events (one "task.failed" event per failed host, a "run.completed" summary
// listing the failed hosts, and a "run.failed" event when a run could not start at all) or as a Slack incoming-webhook message (the run summary and the
// failed hosts, in blocks with a text fallback).
//
// With Config.Secret set, each request is signed per the Standard Webhooks specification
// (https://www.standardwebhooks.com): headers webhook-id (stable across retries),
// webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>",
// keyed with the base64 part of a "whsec_..." secret), so the receiver can check the message
// came from norn and was not replayed.
//
// Delivery is in the background: TaskFailed and RunEnd never block the runner's workers; a
// bounded queue feeds a pool of workers that retry network errors, 5xx and 429 answers with
// exponential backoff (honouring Retry-After) and never retry other 4xx answers. RunEnd
// flushes within its context's deadline. Error messages are redacted (the host's password and
// enable secret, and anything shaped like a secret) before they are queued.
//
// It is not an alert manager: to raise and resolve alerts per host, use hooks/alertmanager.
package webhook
