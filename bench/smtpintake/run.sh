#!/bin/sh
# Runs the SMTP intake benchmark (bench/RESULTS.md, "SMTP intake") on a
# Debian 12 machine, as root, from the repository's root or from here:
#
#   sh bench/smtpintake/run.sh [flags of the program, e.g. -runs 3]
#
# It installs Postfix if missing (for smtp-source, smtp-sink and the
# Postfix under test) without configuring or starting the system's own
# instance, builds the program and runs it. The program brings up its own
# throw-away Mailwright and Postfix on loopback ports in a temporary
# directory and removes them at the end. Go (the version go.mod names) must
# be installed: Debian 12's golang package is too old.
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: run as root (Postfix needs it)" >&2
	exit 1
fi
if ! command -v smtp-source >/dev/null 2>&1 || ! command -v postfix >/dev/null 2>&1; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix
	# "No configuration" leaves the system instance unconfigured; make sure
	# it is not running.
	postfix stop 2>/dev/null || true
fi
if ! command -v go >/dev/null 2>&1; then
	echo "run.sh: Go is not installed; see go.mod for the version" >&2
	exit 1
fi

cd "$(dirname "$0")/../.."
CGO_ENABLED=0 go build -o /tmp/smtpintake ./bench/smtpintake
exec /tmp/smtpintake "$@"
