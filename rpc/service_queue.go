package rpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// The delivery queue (manual: Delivery queue): list, show, send now,
// remove, clear. Server administrators only.

// maxHeaderBlock is the most of a queued message's header block that
// GetQueuedMessage reads.
const maxHeaderBlock = 64 << 10

func (s *queueService) ListQueue(ctx context.Context, req *connect.Request[adminv1.ListQueueRequest]) (*connect.Response[adminv1.ListQueueResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	limit := int(req.Msg.GetLimit())
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	queued, total, err := s.opts.Store.QueuePage(ctx, limit, int(req.Msg.GetOffset()))
	if err != nil {
		return nil, toConnect(err)
	}
	now := time.Now().Unix()
	out := &adminv1.ListQueueResponse{Total: int32(total)}
	for _, m := range queued {
		out.Messages = append(out.Messages, queuedMessageToProto(m, now))
	}
	return connect.NewResponse(out), nil
}

// queuedMessageToProto shows who holds the message only while the lease
// lasts.
func queuedMessageToProto(m store.QueuedMessage, now int64) *adminv1.QueuedMessage {
	if m.LockedUntil < now {
		m.LockedBy = ""
	}
	return queuedToProto(m)
}

// GetQueuedMessage returns a queued message with its recipients and the
// header block of its file: up to the first empty line, at most 64 KiB.
func (s *queueService) GetQueuedMessage(ctx context.Context, req *connect.Request[adminv1.GetQueuedMessageRequest]) (*connect.Response[adminv1.GetQueuedMessageResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	m, err := s.opts.Store.QueuedMessage(ctx, req.Msg.GetId())
	if err != nil {
		return nil, toConnect(err)
	}
	headers, bodySize, err := s.readHeaderBlock(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the file of queued message %d is missing", m.ID))
	}
	if err != nil {
		return nil, toConnect(err)
	}
	return connect.NewResponse(&adminv1.GetQueuedMessageResponse{
		Message:  queuedMessageToProto(m, time.Now().Unix()),
		Headers:  validUTF8(headers),
		BodySize: bodySize,
	}), nil
}

// readHeaderBlock reads the header block of the message file rel, without
// the empty line that ends it, and returns it with the size of what
// follows.
func (s *queueService) readHeaderBlock(rel string) (headers string, rest int64, err error) {
	f, err := s.opts.Store.Files().Open(rel)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	r := bufio.NewReader(io.LimitReader(f, maxHeaderBlock))
	var block []byte
	consumed := int64(0)
	lineStart := true // the next read begins a line
	for {
		piece, err := r.ReadSlice('\n')
		consumed += int64(len(piece))
		if lineStart && err == nil && (string(piece) == "\r\n" || string(piece) == "\n") {
			break // RFC 5322 2.1: an empty line ends the header section
		}
		block = append(block, piece...)
		lineStart = err == nil
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // a line longer than the buffer: read on
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, err
		}
	}
	return string(block), info.Size() - consumed, nil
}

// SendNow makes a queued message due now and wakes the delivery queue.
func (s *queueService) SendNow(ctx context.Context, req *connect.Request[adminv1.SendNowRequest]) (*connect.Response[adminv1.SendNowResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := s.opts.Store.SetNextTry(ctx, req.Msg.GetId(), time.Now().Unix()); err != nil {
		return nil, toConnect(err)
	}
	if s.opts.Engine != nil {
		s.opts.Engine.WakeQueue()
	}
	s.audit(ctx, "queued message sent now", "id", req.Msg.GetId())
	return connect.NewResponse(&adminv1.SendNowResponse{}), nil
}

// RemoveQueued removes a message from the queue, its file after its rows.
func (s *queueService) RemoveQueued(ctx context.Context, req *connect.Request[adminv1.RemoveQueuedRequest]) (*connect.Response[adminv1.RemoveQueuedResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	path, err := s.opts.Store.RemoveQueued(ctx, req.Msg.GetId())
	if err != nil {
		return nil, toConnect(err)
	}
	s.removeQueueFile(path)
	s.audit(ctx, "queued message removed", "id", req.Msg.GetId())
	return connect.NewResponse(&adminv1.RemoveQueuedResponse{}), nil
}

// ClearQueue removes every queued message.
func (s *queueService) ClearQueue(ctx context.Context, _ *connect.Request[adminv1.ClearQueueRequest]) (*connect.Response[adminv1.ClearQueueResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	paths, err := s.opts.Store.ClearQueue(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	for _, path := range paths {
		s.removeQueueFile(path)
	}
	s.audit(ctx, "delivery queue cleared", "removed", len(paths))
	return connect.NewResponse(&adminv1.ClearQueueResponse{Removed: int32(len(paths))}), nil
}

// removeQueueFile deletes a removed message's file. Its rows are gone
// already, so a file that cannot be deleted is only logged: start-up
// reconciliation removes queue files without rows.
func (s *queueService) removeQueueFile(path string) {
	if err := s.opts.Store.Files().Remove(path); err != nil {
		s.opts.Log.Error("admin: cannot remove a queue file", "path", path, "err", err)
	}
}
