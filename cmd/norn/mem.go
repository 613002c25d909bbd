package main

import (
	"runtime/metrics"
	"sync"
	"time"
)

// heapSampler records the peak of the Go heap (live and not yet collected objects) by sampling
// runtime/metrics, which does not stop the world.
type heapSampler struct {
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	mu   sync.Mutex
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func startHeapSampler(every time.Duration) *heapSampler {
	s := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	s.sample()
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *heapSampler) sample() {
	m := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	v := m[0].Value.Uint64()
	s.mu.Lock()
	s.peak = max(s.peak, v)
	s.mu.Unlock()
}

// Stop ends the sampling and returns the peak heap in bytes. It may be called more than once.
func (s *heapSampler) Stop() uint64 {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}
