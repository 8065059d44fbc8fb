package messagefile

import (
	"errors"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// containedIn checks that rel, joined to root, names a path strictly below
// root and that joining did not clean anything away.
func containedIn(t *testing.T, root, rel string) {
	t.Helper()
	native := filepath.FromSlash(rel)
	if !filepath.IsLocal(native) {
		t.Fatalf("accepted %q is not a local path", rel)
	}
	joined := filepath.Join(root, native)
	if !strings.HasPrefix(joined, root+string(filepath.Separator)) {
		t.Fatalf("accepted %q joins to %q, outside %q", rel, joined, root)
	}
	back, err := filepath.Rel(root, joined)
	if err != nil {
		t.Fatalf("accepted %q: %v", rel, err)
	}
	if filepath.ToSlash(back) != rel {
		t.Fatalf("accepted %q is changed by joining to root: %q", rel, back)
	}
	if path.Clean(rel) != rel {
		t.Fatalf("accepted %q is not clean", rel)
	}
	for elem := range strings.SplitSeq(rel, "/") {
		if elem == "" || elem[0] == '.' || strings.ContainsAny(elem, "\\:\x00") {
			t.Fatalf("accepted %q has unsafe element %q", rel, elem)
		}
	}
}

func FuzzAccountPath(f *testing.F) {
	// More seeds, including hostile ones, are in testdata/fuzz/FuzzAccountPath.
	f.Add("example.com", "alice", testID)
	f.Add("Example.COM", "Alice.Smith+tag", NewID())
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, domain, local, id string) {
		rel, err := AccountPath(domain, local, id)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("error %v does not wrap ErrInvalidPath", err)
			}
			return
		}
		if err := ValidateRel(rel); err != nil {
			t.Fatalf("AccountPath returned %q, which ValidateRel refuses: %v", rel, err)
		}
		containedIn(t, root, rel)
		want := strings.ToLower(domain) + "/" + strings.ToLower(local) + "/" + id[:2] + "/" + id + ".eml"
		if rel != want {
			t.Fatalf("AccountPath(%q, %q, %q) = %q, want %q", domain, local, id, rel, want)
		}
		if strings.Count(rel, "/") != 3 {
			t.Fatalf("AccountPath(%q, %q, %q) = %q, not four elements", domain, local, id, rel)
		}
	})
}

func FuzzValidateRel(f *testing.F) {
	for _, s := range []string{
		"example.com/alice/01/" + testID + ".eml", "../..", "a/b", "CON", "x\x00y", "/abs", `a\b`,
		"C:/x", "a//b", "a/./b", "a/.tmp", "com1.txt", "a/b.", "progra~1", "\xff",
	} {
		f.Add(s)
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, rel string) {
		if err := ValidateRel(rel); err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("error %v does not wrap ErrInvalidPath", err)
			}
			return
		}
		containedIn(t, root, rel)
	})
}
