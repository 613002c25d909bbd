// Package natsexec distributes a run's hosts over worker processes through NATS JetStream:
// an Executor for the controller (the program calling Runner.Run) and a Worker for each region
// that can reach its devices (behind regional firewalls and jump hosts).
//
// The controller's Executor publishes one message per host to a work-queue stream, on a subject
// routed by an inventory field (region, else site, else one queue), carrying the run id, the
// task's name, the dry-run flag, the host's name and its index: never credentials. A Worker
// started for a region pulls only that region's messages, resolves the host in its own
// inventory with its own secrets, runs the task from its own task table through its own Runner
// (so hooks and middleware run on the worker), publishes the result with a Nats-Msg-Id for
// deduplication and then acknowledges the work message. Long tasks send InProgress heartbeats;
// a worker that dies leaves its messages unacknowledged and JetStream redelivers them after
// AckWait, up to MaxDeliver times; a duplicate result for the same host is dropped by the
// runner. Results too large for one NATS message travel through a JetStream object store.
//
// Cancelling the controller's context cancels the run everywhere: queued messages of the run
// are purged, workers stop the run's hosts, and the runner reports every host ok, failed or
// not run. Hosts of a region no worker serves are reported not run after Config.NoWorkerWait,
// with the reason, never waited on forever.
//
// It is not a queue of its own making: the durability, redelivery and deduplication are
// JetStream's. Users point it at their own NATS cluster (URL, credentials file or nkey, TLS)
// through the nats.Conn they pass in.
package natsexec
