//go:build !linux

package messagefile

import "testing"

// writesNamedTemporaryFiles reports whether Write, in a Store on dir,
// creates named temporary files: always, where there is no fast path.
func writesNamedTemporaryFiles(t *testing.T, dir string) bool {
	return true
}
