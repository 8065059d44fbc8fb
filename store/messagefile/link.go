package messagefile

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
)

// LinkBeforeDirSync gives the existing file from a second name, to, as
// WriteBeforeDirSync would have written its bytes there, but without
// copying them: both names are links to the same file, which stays valid
// under either name when the other is removed. The message files are never
// changed once written, so two names cannot disagree. to's directory is
// made (durably) if missing; the new name itself is durable only after
// SyncDirs(to). from must be durable already.
//
// Like WriteBeforeDirSync it refuses to replace an existing file (the error
// wraps fs.ErrExist). A file system without hard links (or one where the
// two names are on different devices) gives an error that wraps
// ErrLinkUnsupported; the caller then copies.
func (s *Store) LinkBeforeDirSync(from, to string) error {
	if err := ValidateRel(from); err != nil {
		return err
	}
	if err := ValidateRel(to); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.makeDirs(path.Dir(to)); err != nil {
		return fmt.Errorf("messagefile: link %s: %w", to, err)
	}
	var err error
	if s.fast != nil {
		err = s.fast.link(from, to)
	} else {
		err = s.fsys.Link(from, to)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return existError(to)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("messagefile: link %s to %s: %w", from, to, err)
	}
	return fmt.Errorf("messagefile: link %s to %s: %w: %w", from, to, ErrLinkUnsupported, err)
}

// ErrLinkUnsupported is wrapped by LinkBeforeDirSync's error when the file
// system did not make the link for a reason other than a missing source or
// an existing target.
var ErrLinkUnsupported = errors.New("hard link not made")
