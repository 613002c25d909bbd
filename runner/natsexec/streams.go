package natsexec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults shared by the Executor and Workers.
const (
	// DefaultPrefix is the subject prefix and stream name stem.
	DefaultPrefix = "norn"
	// DefaultNoWorkerWait is Config.NoWorkerWait's default.
	DefaultNoWorkerWait = 30 * time.Second
	// DefaultAckWait is WorkerConfig.AckWait's default.
	DefaultAckWait = 30 * time.Second
	// DefaultMaxDeliver is WorkerConfig.MaxDeliver's default.
	DefaultMaxDeliver = 5
	// DefaultCancelGrace is Config.CancelGrace's default.
	DefaultCancelGrace = 5 * time.Second
	// resultRetention is how long results stay in their stream (a controller purges its own
	// as it finishes; this bounds what a crashed controller leaves behind).
	resultRetention = time.Hour
	// dedupeWindow is the streams' duplicate window for Nats-Msg-Id.
	dedupeWindow = 10 * time.Minute
)

// StreamOptions are the JetStream settings of the streams both sides create (idempotently).
type StreamOptions struct {
	// Prefix names subjects ("<prefix>.work.<queue>.<run>") and streams ("<PREFIX>_WORK",
	// "<PREFIX>_RESULTS"). Default DefaultPrefix.
	Prefix string
	// Storage is where JetStream keeps messages. Default jetstream.FileStorage, so queued work
	// survives a NATS restart.
	Storage jetstream.StorageType
	// Replicas is the streams' replica count in a cluster. Default 1.
	Replicas int
}

func (o StreamOptions) withDefaults() (StreamOptions, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if QueueName(o.Prefix) != o.Prefix {
		return o, fmt.Errorf("natsexec: Prefix %q: want lower-case letters, digits, '-' or '_'", o.Prefix)
	}
	if o.Replicas < 0 {
		return o, fmt.Errorf("natsexec: Replicas %d: want 0 (default 1) or more", o.Replicas)
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	return o, nil
}

// openStreams opens JetStream on conn and creates (or updates) the work and result streams.
func openStreams(ctx context.Context, conn *nats.Conn, so StreamOptions) (jetstream.JetStream, names, error) {
	n := names{prefix: so.Prefix}
	js, err := jetstream.New(conn)
	if err != nil {
		return nil, n, fmt.Errorf("natsexec: %w", err)
	}
	return js, n, ensureStreams(ctx, js, n, so)
}

// ensureStreams creates or updates the work and result streams.
func ensureStreams(ctx context.Context, js jetstream.JetStream, n names, o StreamOptions) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        n.workStream(),
		Description: "norn: one message per host to run (work queue)",
		Subjects:    []string{n.workAll()},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     o.Storage,
		Replicas:    o.Replicas,
		Duplicates:  dedupeWindow,
	})
	if err != nil {
		return fmt.Errorf("natsexec: creating stream %s: %w", n.workStream(), err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        n.resultStream(),
		Description: "norn: one message per host result",
		Subjects:    []string{n.resultAll()},
		Retention:   jetstream.LimitsPolicy,
		Storage:     o.Storage,
		Replicas:    o.Replicas,
		MaxAge:      resultRetention,
		Duplicates:  dedupeWindow,
	})
	if err != nil {
		return fmt.Errorf("natsexec: creating stream %s: %w", n.resultStream(), err)
	}
	return nil
}

// objectStore opens (creating when asked) the bucket for results too large for a message.
func objectStore(ctx context.Context, js jetstream.JetStream, n names, o StreamOptions, create bool) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, n.objectBucket())
	if err == nil || !create || !errors.Is(err, jetstream.ErrBucketNotFound) {
		return obs, err
	}
	return js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: n.objectBucket(), Description: "norn: results too large for one message",
		Storage: o.Storage, Replicas: o.Replicas, TTL: resultRetention,
	})
}
