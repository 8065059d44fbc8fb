#!/bin/sh
# Runs the IMAP/POP3 load benchmark or the idle-connection memory
# benchmark (bench/RESULTS.md, "IMAP and POP3 load" and "Idle IMAP
# connections") on a Debian 12 machine, as root, from anywhere:
#
#   sh bench/imapload/run.sh [flags of bench/imapload, e.g. -runs 3]
#   sh bench/imapload/run.sh idlemem [flags of bench/idlemem]
#
# It installs dovecot-imapd and dovecot-pop3d if missing and stops the
# system's own Dovecot that the package starts (the programs run their own
# throw-away Dovecot and Mailwright on loopback ports under a temporary
# directory and remove them at the end), raises the limits that 10,000
# connections need, builds the program and runs it. Go (the version go.mod
# names) must be installed: Debian 12's golang package is too old.
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: run as root (Dovecot's master needs it)" >&2
	exit 1
fi
if ! command -v go >/dev/null 2>&1; then
	echo "run.sh: Go is not installed; see go.mod for the version" >&2
	exit 1
fi
installed() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
if ! installed dovecot-imapd || ! installed dovecot-pop3d; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dovecot-imapd dovecot-pop3d
fi
# The package starts the system's Dovecot (ports 110 and 143). Stop it and
# keep it from starting at boot; without systemd as PID 1, stop it through
# its own pid file.
if [ -d /run/systemd/system ]; then
	systemctl stop dovecot || true
	systemctl disable dovecot || true
fi
dovecot stop 2>/dev/null || true

# 10,000 connections: file descriptors for this process and the servers it
# starts (they inherit the limit), and an inotify instance for each of
# Dovecot's imap processes (one per connection, all as user nobody) that
# IDLE watches the Maildir with; the default of 128 makes Dovecot fall
# back to polling.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(cat /proc/sys/fs/inotify/max_user_instances)" -lt 16384 ]; then
	sysctl -w fs.inotify.max_user_instances=16384
fi

program=imapload
if [ "${1:-}" = idlemem ] || [ "${1:-}" = imapload ]; then
	program=$1
	shift
fi
cd "$(dirname "$0")/../.."
CGO_ENABLED=0 go build -o "/tmp/$program" "./bench/$program"
exec "/tmp/$program" "$@"
