//go:build linux

package throwaway

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Memory is the memory of a server's processes, in KiB, from /proc.
type Memory struct {
	Processes int
	RSS       int64 // sum of VmRSS: pages shared between processes count once per process
	PSS       int64 // sum of Pss (smaps_rollup): shared pages divided among their users
}

// Memory returns the memory of the server's main process and of every
// process under it (Dovecot's imap, imap-login, auth, anvil, ...).
func (s *Server) Memory() (Memory, error) {
	return TreeMemory(s.MainPID)
}

// TreeMemory sums the memory of pid and all its descendants.
func TreeMemory(pid int) (Memory, error) {
	pids, err := descendants(pid)
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for _, p := range pids {
		rss, err := statusField(p, "VmRSS:")
		if err != nil {
			continue // exited meanwhile
		}
		pss, _ := smapsField(p, "Pss:")
		m.Processes++
		m.RSS += rss
		m.PSS += pss
	}
	if m.Processes == 0 {
		return m, fmt.Errorf("process %d is gone", pid)
	}
	return m, nil
}

// descendants returns pid and the processes under it, from the parent of
// every process in /proc.
func descendants(pid int) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], p)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out, nil
}

func statusField(pid int, name string) (int64, error) {
	return kibField(fmt.Sprintf("/proc/%d/status", pid), name)
}

func smapsField(pid int, name string) (int64, error) {
	return kibField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), name)
}

// kibField reads "Name:   1234 kB" from a /proc file.
func kibField(path, name string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				break
			}
			return strconv.ParseInt(fields[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, name)
}
