package admin

import (
	"context"
	"sync"
	"sync/atomic"
)

// listPageSize is how many rows one list call of a paged page (aliases,
// queue, IP ranges) fetches, and maxCachedListPages how many such pages a
// list keeps.
const (
	listPageSize       = 200
	maxCachedListPages = 25
)

// listFetch reads one page of a list from the server: the rows at offset
// that match filter, and how many match in all.
type listFetch[T any] func(ctx context.Context, filter string, limit, offset int) ([]T, int, error)

// pager holds the pages of a list fetched so far, by offset, and fetches a
// page the first time one of its rows is shown: the accounts page's
// approach, for any list.
type pager[T any] struct {
	fetchPage listFetch[T]
	pageSize  int
	// run runs a fetch: in the app in the background, followed by a
	// refresh of the list; in tests at once.
	run func(fetch func())
	// calls counts the list calls made.
	calls atomic.Int64

	mu         sync.Mutex
	filter     string
	generation int // bumped by Reset, so late answers for an old filter are dropped
	total      int
	pages      map[int][]T
	loading    map[int]bool
	err        error
}

// newPager returns a pager over fetch; refresh, when the app fetches in
// the background, shows what arrived.
func newPager[T any](fetch listFetch[T], refresh func()) *pager[T] {
	p := &pager[T]{fetchPage: fetch, pageSize: listPageSize, run: func(fetch func()) { fetch() },
		pages: map[int][]T{}, loading: map[int]bool{}}
	if run := backgroundFetch; run != nil {
		p.run = func(fetch func()) { run(fetch, refresh) }
	}
	return p
}

// Len is the number of rows the server reported for the filter.
func (p *pager[T]) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// Err is the error of the last fetch, nil if it succeeded.
func (p *pager[T]) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Row returns the i-th row, or false while its page is being fetched.
func (p *pager[T]) Row(i int) (T, bool) {
	var zero T
	if i < 0 {
		return zero, false
	}
	offset := i / p.pageSize * p.pageSize
	p.request(offset)
	p.mu.Lock()
	defer p.mu.Unlock()
	page, ok := p.pages[offset]
	if !ok || i-offset >= len(page) {
		return zero, false
	}
	return page[i-offset], true
}

// Reset drops the cached pages and fetches the first page for filter.
func (p *pager[T]) Reset(filter string) {
	p.mu.Lock()
	p.filter = filter
	p.generation++
	p.pages = map[int][]T{}
	p.loading = map[int]bool{}
	p.mu.Unlock()
	p.request(0)
}

// request fetches the page at offset unless it is cached or on its way.
func (p *pager[T]) request(offset int) {
	p.mu.Lock()
	if _, ok := p.pages[offset]; ok || p.loading[offset] {
		p.mu.Unlock()
		return
	}
	p.loading[offset] = true
	generation, filter := p.generation, p.filter
	p.mu.Unlock()
	p.run(func() { p.fetch(generation, filter, offset) })
}

func (p *pager[T]) fetch(generation int, filter string, offset int) {
	p.calls.Add(1)
	ctx, cancel := pageCallContext()
	defer cancel()
	rows, total, err := p.fetchPage(ctx, filter, p.pageSize, offset)
	p.mu.Lock()
	defer p.mu.Unlock()
	if generation != p.generation {
		return
	}
	delete(p.loading, offset)
	p.err = err
	if err != nil {
		return
	}
	p.total = total
	p.pages[offset] = rows
	// Keep the pages nearest the one just shown.
	for len(p.pages) > maxCachedListPages {
		farthest := offset
		for cached := range p.pages {
			if offsetDistance(cached, offset) > offsetDistance(farthest, offset) {
				farthest = cached
			}
		}
		delete(p.pages, farthest)
	}
}

// Cached returns the i-th row if its page is at hand, without fetching it.
func (p *pager[T]) Cached(i int) (T, bool) {
	var zero T
	if i < 0 {
		return zero, false
	}
	offset := i / p.pageSize * p.pageSize
	p.mu.Lock()
	defer p.mu.Unlock()
	page, ok := p.pages[offset]
	if !ok || i-offset >= len(page) {
		return zero, false
	}
	return page[i-offset], true
}

func offsetDistance(a, b int) int {
	if a < b {
		return b - a
	}
	return a - b
}
