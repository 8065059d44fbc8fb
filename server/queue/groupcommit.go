package queue

import (
	"context"
	"sync"

	"github.com/mailwright/mailwright/store"
)

// Group commit of the workers' settlements: a worker that has settled a
// message — its local recipients' copies (mailbox files written, to go
// into their INBOXes), its other recipients' outcomes, and its removal
// when none is left pending — hands the settlement to the pool's committer, which commits
// whatever is waiting in one transaction (store.SettleQueued) and then
// runs what each settlement asked to be done after its commit (removing
// the queue file, logging, queueing a bounce). Under load one commit, and
// one fsync, settles the messages of all the workers; alone, a settlement
// is committed at once, as before. Nothing is done before its commit: a
// message's file goes only after the transaction that removed its row,
// and until then the message keeps its lease, so no one else sends it.
//
// A worker need not wait for the commit of a message it delivered: it
// goes on with the next one while the committer writes (submit). The
// pool's last worker waits for every submitted settlement before it
// stops (close), so a stopped queue has nothing in flight.

// maxGroup is the most settlements one transaction takes.
const maxGroup = 128

type groupCommitter struct {
	st  *store.Store
	ctx context.Context // the database work's: never cancelled

	mu       sync.Mutex
	waiting  []settleRequest
	wake     chan struct{} // buffered: a request is waiting
	inFlight sync.WaitGroup
	stopped  chan struct{}
	quit     chan struct{}
}

type settleRequest struct {
	settlement store.Settlement
	then       func(store.SettleResult, error)
}

func newGroupCommitter(ctx context.Context, st *store.Store) *groupCommitter {
	g := &groupCommitter{st: st, ctx: ctx, wake: make(chan struct{}, 1), stopped: make(chan struct{}), quit: make(chan struct{})}
	go g.run()
	return g
}

// submit queues s for the next commit; then runs after it with the
// result (in the committer's goroutine: it must be quick, or start its
// own). The error is the database's.
func (g *groupCommitter) submit(s store.Settlement, then func(store.SettleResult, error)) {
	g.inFlight.Add(1)
	g.mu.Lock()
	g.waiting = append(g.waiting, settleRequest{settlement: s, then: then})
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// settle is submit that waits for the commit and returns its result.
func (g *groupCommitter) settle(s store.Settlement) (store.SettleResult, error) {
	type reply struct {
		res store.SettleResult
		err error
	}
	done := make(chan reply, 1)
	g.submit(s, func(res store.SettleResult, err error) { done <- reply{res, err} })
	r := <-done
	return r.res, r.err
}

// spawn runs f in a goroutine of its own that close waits for: the slow
// part of what a settlement does after its commit.
func (g *groupCommitter) spawn(f func()) {
	g.inFlight.Add(1)
	go func() {
		defer g.inFlight.Done()
		f()
	}()
}

// close waits for every submitted settlement, and what runs after it, and
// stops the committer.
func (g *groupCommitter) close() {
	g.inFlight.Wait()
	close(g.quit)
	<-g.stopped
}

func (g *groupCommitter) run() {
	defer close(g.stopped)
	for {
		select {
		case <-g.wake:
		case <-g.quit:
			return
		}
		for {
			g.mu.Lock()
			n := min(len(g.waiting), maxGroup)
			round := g.waiting[:n:n]
			g.waiting = g.waiting[n:]
			g.mu.Unlock()
			if n == 0 {
				break
			}
			g.commit(round)
		}
	}
}

// commit runs one round and then what each request asked for. The
// directories of the round's mailbox files are fsynced first, each once,
// so that no row commits that names a file whose name a crash could take
// away; if that fails, the settlements with copies fail (their next try
// finds the files and syncs again) and the others go on.
func (g *groupCommitter) commit(round []settleRequest) {
	var copies []string
	for _, r := range round {
		for _, d := range r.settlement.Deliveries {
			copies = append(copies, d.Path)
		}
	}
	if err := g.st.Files().SyncDirs(copies...); err != nil {
		var rest []settleRequest
		for _, r := range round {
			if len(r.settlement.Deliveries) == 0 {
				rest = append(rest, r)
				continue
			}
			r.then(store.SettleResult{}, err)
			g.inFlight.Done()
		}
		round = rest
		if len(round) == 0 {
			return
		}
	}
	settlements := make([]store.Settlement, len(round))
	for i, r := range round {
		settlements[i] = r.settlement
	}
	results, err := g.st.SettleQueued(g.ctx, settlements)
	for i, r := range round {
		switch {
		case results == nil:
			r.then(store.SettleResult{}, err)
		case results[i].Err != nil && !isSettleResult(results[i].Err):
			r.then(store.SettleResult{}, results[i].Err)
		default:
			r.then(results[i], nil)
		}
		g.inFlight.Done()
	}
}

// isSettleResult tells SettleQueued's answers about a message apart from
// failures of the database.
func isSettleResult(err error) bool {
	switch err {
	case store.ErrNotFound, store.ErrRecipientsPending, store.ErrRecipientsFailed:
		return true
	}
	return false
}
