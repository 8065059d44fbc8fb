package messagefile

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// ioModeEnv makes the test binary run with forcedIO set: "os-root" or
// "named-temp". TestFallbackFileOperationsPassAllTests sets it for the
// copies of the binary it starts; they pass it on to their own children
// (the kill test's writers).
const ioModeEnv = "MESSAGEFILE_TEST_IO"

func TestMain(m *testing.M) {
	switch os.Getenv(ioModeEnv) {
	case "os-root":
		forcedIO = ioOSRoot
	case "named-temp":
		forcedIO = ioNamedTemp
	}
	os.Exit(m.Run())
}

// TestFallbackFileOperationsPassAllTests runs every other test of the
// package again, in a child process, with the file operations that
// systems without openat2 (os.Root) and file systems without O_TMPFILE
// (named temporary files) use, so that both the fast path and its
// fallbacks are tested on Linux.
func TestFallbackFileOperationsPassAllTests(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux has a fast path; elsewhere the tests already run the os.Root code")
	}
	if os.Getenv(ioModeEnv) != "" {
		t.Skip("already running in a fallback mode")
	}
	for _, mode := range []string{"os-root", "named-temp"} {
		t.Run(mode, func(t *testing.T) {
			args := []string{"-test.count=1", "-test.skip=^TestFallbackFileOperationsPassAllTests$", "-test.run=^Test"}
			if testing.Short() {
				args = append(args, "-test.short")
			}
			if testing.Verbose() {
				args = append(args, "-test.v")
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), ioModeEnv+"="+mode)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("tests with %s=%s failed: %v\n%s", ioModeEnv, mode, err, out)
			}
			if testing.Verbose() {
				t.Logf("%s", out)
			}
		})
	}
}
