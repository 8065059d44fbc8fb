package queue

import (
	"context"
	"sync"
)

// The workers of a running queue share a pool: the messages claimed for
// them and not yet taken, and the group committer of their settlements.
// A worker with nothing to do claims a batch — one for itself and as many
// as the pool has room for — in one claim (store.ClaimQueued), and a
// worker that takes a message from a pool running low tops it up when
// no claim is under way. A claimed message's lease is kept from the claim
// on (keepLease), so a message waiting in the pool is as safe as one
// being delivered. The pool holds at most as many messages as there are
// workers, so a message claimed here waits for at most one delivery.
//
// The pool lives as long as its workers: the first to start makes it,
// the last to stop releases what is left in it, due at once.

// workerPool is the shared state of one queue's workers.
type workerPool struct {
	q     *Queue
	ready chan *leaseKeeper // claimed, waiting for a worker
	// claiming is held during a claim: one at a time, so that claims do
	// not race each other for the same rows.
	claiming  sync.Mutex
	committer *groupCommitter
	workers   int // running workers; under poolsMu
}

var (
	poolsMu sync.Mutex
	pools   = map[*Queue]*workerPool{}
)

// joinPool returns q's worker pool, making it for the first worker.
func (q *Queue) joinPool() *workerPool {
	poolsMu.Lock()
	defer poolsMu.Unlock()
	p := pools[q]
	if p == nil {
		p = &workerPool{q: q, ready: make(chan *leaseKeeper, q.opts.Workers), committer: newGroupCommitter(context.Background(), q.st)}
		pools[q] = p
	}
	p.workers++
	return p
}

// leavePool is a worker's exit; the last one out releases the messages
// still waiting, due at once, for whoever runs next.
func (q *Queue) leavePool(p *workerPool) {
	poolsMu.Lock()
	p.workers--
	last := p.workers == 0
	if last {
		delete(pools, q)
	}
	poolsMu.Unlock()
	if !last {
		return
	}
	p.claiming.Lock() // no claim may add to the pool now
	defer p.claiming.Unlock()
	defer p.committer.close()
	for {
		select {
		case held := <-p.ready:
			m, lost := held.stop()
			if !lost {
				work := context.Background()
				q.release(work, q.log.With("queue_id", queueID(m.Path), "message_id", m.ID), m, nil)
			}
		default:
			return
		}
	}
}

// next returns a claimed message for worker name to deliver: one waiting
// in the pool, or the first of a batch it claims; nil when none is due.
func (p *workerPool) next(ctx context.Context, name string) *leaseKeeper {
	select {
	case held := <-p.ready:
		p.taken(ctx, name)
		return held
	default:
	}
	p.claiming.Lock()
	defer p.claiming.Unlock()
	select {
	case held := <-p.ready: // another worker's claim came in meanwhile
		return held
	default:
	}
	claimed := p.claim(ctx, name, cap(p.ready)-len(p.ready)+1)
	if len(claimed) == 0 {
		return nil
	}
	for _, held := range claimed[1:] {
		p.ready <- held // room was counted under claiming, and only claims add
	}
	return claimed[0]
}

// taken tops the pool up after a worker took a message from it, when it
// is down to half and no other claim is under way — in the background,
// so that the worker goes on delivering meanwhile.
func (p *workerPool) taken(ctx context.Context, name string) {
	if len(p.ready) > cap(p.ready)/2 || !p.claiming.TryLock() {
		return
	}
	go func() {
		defer p.claiming.Unlock()
		for _, held := range p.claim(ctx, name, cap(p.ready)-len(p.ready)) {
			p.ready <- held
		}
	}()
}

// claim leases up to n due messages for the pool under the worker's name
// and starts keeping their leases. The caller holds claiming. A message
// claimed as the queue stops is released by the worker that takes it, or
// by the last worker out (leavePool).
func (p *workerPool) claim(ctx context.Context, name string, n int) []*leaseKeeper {
	if n <= 0 || ctx.Err() != nil {
		return nil
	}
	q := p.q
	// Once begun, a claim runs to its end: cut short between its UPDATE
	// and the reading of what it took, it would leave leases behind that
	// no worker holds.
	claimed, err := q.st.ClaimQueued(context.WithoutCancel(ctx), name, n, q.opts.Lease)
	if err != nil {
		q.log.Error("claiming queued messages", "worker", name, "err", err)
	}
	out := make([]*leaseKeeper, len(claimed))
	for i, m := range claimed {
		out[i] = q.keepLease(ctx, context.WithoutCancel(ctx), q.log.With("queue_id", queueID(m.Path), "message_id", m.ID), m)
	}
	return out
}
