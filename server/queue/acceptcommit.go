package queue

import (
	"context"
	"sync"

	"github.com/mailwright/mailwright/store"
)

// Group commit of accepted messages. Each Accept writes its queue file —
// content fsynced, final name given — on its own, then hands the file and
// its rows to the accept committer and waits. The first Accept to come
// leads: it fsyncs the directories of every file waiting (each directory
// once) and inserts all their rows in one transaction, then hands every
// waiter the outcome. Accepts that come while it commits wait for the
// next round, which the next of them in line leads once the current
// leader has its own answer. So under load one directory fsync and one
// database commit serve the messages of several sessions; an Accept that
// comes alone commits at once, as before.
//
// Nothing is acknowledged early: an Accept returns nil only after the
// directories of its files are fsynced and the transaction holding its
// rows has committed, and when either fails every Accept of the round
// gets the error, removes its files and answers 4xx.

// maxAcceptRound is the most accepts one round commits.
const maxAcceptRound = 128

type acceptCommitter struct {
	q *Queue

	mu      sync.Mutex
	waiting []*acceptRequest
	leading bool // a leader is running rounds
}

// acceptRequest is one Accept's part of a round: its files (the message
// and the mirror copy, if any) and their rows, committed together.
type acceptRequest struct {
	files    []string
	messages []store.QueuedMessage
	// done receives the outcome, or lead when the Accept is to lead the
	// next round. Buffered: whoever sends never waits.
	done chan acceptReply
	// queued is set by the round that committed the request, before done.
	queued []store.QueuedMessage
}

type acceptReply struct {
	err  error
	lead bool
}

// testHookAcceptRound, when set, is called by the leader with the size
// of each round before it commits.
var testHookAcceptRound func(n int)

// commit makes r's files' names durable and commits its rows, with
// whatever other Accepts commit at the same time, and returns the rows as
// stored. It returns only once r is settled either way.
func (c *acceptCommitter) commit(ctx context.Context, r *acceptRequest) ([]store.QueuedMessage, error) {
	r.done = make(chan acceptReply, 1)
	c.mu.Lock()
	c.waiting = append(c.waiting, r)
	if c.leading {
		c.mu.Unlock()
		reply := <-r.done
		if !reply.lead {
			return r.queued, reply.err
		}
		// The previous leader handed over: r is first in line.
	} else {
		c.leading = true
		c.mu.Unlock()
	}
	// A round must finish once begun: its rows may commit, and the files
	// of its Accepts must then stay. So it does not stop when the
	// leader's session goes away.
	work := context.WithoutCancel(ctx)
	for mine := false; !mine; {
		c.mu.Lock()
		n := min(len(c.waiting), maxAcceptRound)
		round := c.waiting[:n:n]
		c.waiting = c.waiting[n:]
		c.mu.Unlock()
		for _, w := range round {
			mine = mine || w == r
		}
		c.run(work, round)
	}
	c.mu.Lock()
	if len(c.waiting) > 0 {
		c.waiting[0].done <- acceptReply{lead: true}
	} else {
		c.leading = false
	}
	c.mu.Unlock()
	reply := <-r.done
	return r.queued, reply.err
}

// run commits one round and hands each of its requests the outcome.
func (c *acceptCommitter) run(ctx context.Context, round []*acceptRequest) {
	if testHookAcceptRound != nil {
		testHookAcceptRound(len(round))
	}
	var files []string
	var messages []store.QueuedMessage
	for _, r := range round {
		files = append(files, r.files...)
		messages = append(messages, r.messages...)
	}
	err := c.q.files.SyncDirs(files...)
	var queued []store.QueuedMessage
	if err == nil {
		queued, err = c.q.st.EnqueueAll(ctx, messages)
	}
	for _, r := range round {
		if err == nil {
			r.queued, queued = queued[:len(r.messages)], queued[len(r.messages):]
		}
		r.done <- acceptReply{err: err}
	}
}
