package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// diskLimits are the file system's own rates for what a durable accept
// needs, measured in the directory the servers use.
type diskLimits struct {
	writeSync          float64 // 4 KiB appended to one file, then fsync
	createSync         float64 // new file, 4 KiB, fsync, close, directory fsync; one at a time
	createSyncSessions float64 // the same from parallel goroutines, each in its own directory
	parallel           int
}

// measureDisk measures each rate for about d, in a new directory under
// dir that it removes afterwards.
func measureDisk(dir string, d time.Duration, parallel int) (diskLimits, error) {
	lim := diskLimits{parallel: parallel}
	work, err := os.MkdirTemp(dir, "disk-")
	if err != nil {
		return lim, err
	}
	defer os.RemoveAll(work)
	block := make([]byte, 4096)
	for i := range block {
		block[i] = 'x'
	}

	f, err := os.Create(filepath.Join(work, "append"))
	if err != nil {
		return lim, err
	}
	n := 0
	began := time.Now()
	for time.Since(began) < d {
		if _, err := f.Write(block); err != nil {
			f.Close()
			return lim, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return lim, err
		}
		n++
	}
	lim.writeSync = float64(n) / time.Since(began).Seconds()
	if err := f.Close(); err != nil {
		return lim, err
	}

	rate, err := createSyncRate(filepath.Join(work, "one"), d, 1, block)
	if err != nil {
		return lim, err
	}
	lim.createSync = rate
	rate, err = createSyncRate(filepath.Join(work, "many"), d, parallel, block)
	if err != nil {
		return lim, err
	}
	lim.createSyncSessions = rate
	return lim, nil
}

// createSyncRate runs goroutines that each, in a directory of their own,
// create a file, write block, fsync and close it and fsync the directory,
// for about d, and returns the files per second they made together.
func createSyncRate(dir string, d time.Duration, goroutines int, block []byte) (float64, error) {
	var (
		total    atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	began := time.Now()
	for g := range goroutines {
		sub := filepath.Join(dir, fmt.Sprint(g))
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return 0, err
		}
		wg.Go(func() {
			for i := 0; time.Since(began) < d; i++ {
				if err := createSync(sub, fmt.Sprintf("%d.eml", i), block); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				total.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(began).Seconds(), firstErr
}

func createSync(dir, name string, block []byte) error {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(block); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
