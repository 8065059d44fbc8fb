#!/usr/bin/env bash
# Quick start: build Mailwright, set it up on the embedded SQLite store and
# start it. With a display, the Administrator opens beside the server; without
# one, the server runs in the foreground (Ctrl-C stops it).
#
#   configuration  /etc/mailwright/mailwright.ini
#   data, logs     /var/lib/mailwright/{data,logs,temp,events}
#   admin password /etc/mailwright/administrator-password (made on first run)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "quickstart: Go 1.26 is needed (go.mod); install it to /usr/local/go" >&2; exit 1; }

ini=/etc/mailwright/mailwright.ini
pwfile=/etc/mailwright/administrator-password
mkdir -p bin
echo "building mailwrightd"
CGO_ENABLED=0 go build -o bin/mailwrightd ./server/cmd/mailwrightd

if [ ! -f "$ini" ]; then
  mkdir -p /etc/mailwright
  umask 077
  head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$pwfile"
  bin/mailwrightd setup --config "$ini" --base /var/lib/mailwright --admin-password-stdin < "$pwfile"
  echo "administrator password saved in $pwfile"
fi

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  missing=()
  for pkg in libgl1-mesa-dev xorg-dev; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  echo "building the Administrator"
  go build -o bin/mailwright-admin .
  bin/mailwrightd run --config "$ini" &
  server=$!
  trap 'kill -TERM $server 2>/dev/null; wait $server' EXIT
  # Wait for the administration RPC, then open the Administrator logged in
  # as the administrator (it asks once to trust the server's certificate).
  for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/8425) 2>/dev/null && break; sleep 0.5; done
  echo "server running (pid $server); opening the Administrator"
  MAILWRIGHT_PASSWORD=$(cat "$pwfile") bin/mailwright-admin
else
  echo "no display: running the server in the foreground (Ctrl-C stops it)."
  echo "Administer it from another shell with the administration RPC on 127.0.0.1:8425, e.g.:"
  echo "  MAILWRIGHT_PASSWORD=\$(cat $pwfile) $PWD/bin/mailwrightd ctl status"
  exec bin/mailwrightd run --config "$ini"
fi
