#!/usr/bin/env bash
# The whole test suite, as the README's Quick start runs it and .ci/run calls it.
# On a fresh Debian 12 machine (as root) it installs what the tests need from
# Debian, starts PostgreSQL and MariaDB if they are stopped, and then runs:
# formatting, go vet, staticcheck, the tests on SQLite, PostgreSQL and MariaDB,
# the CGO_ENABLED=0 server builds for linux and windows, and the Administrator
# builds for linux and windows.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo /root/go)/bin:$PATH"

say() { printf '\n== %s\n' "$*"; }

command -v go >/dev/null || { echo "test.sh: Go 1.26 is needed (go.mod); install it to /usr/local/go" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------
# postgresql, mariadb-server: the store suite's real databases.
# libgl1-mesa-dev, xorg-dev: the Administrator (Fyne, cgo) on linux.
# gcc-mingw-w64-x86-64: the Administrator cross-compiled for windows.
# swaks (+ Perl TLS and SASL modules), curl, python3: real SMTP clients for
# the interoperability tests; fetchmail and isync (mbsync): real POP3/IMAP
# clients.
# protobuf-compiler: the test that the committed RPC code is not stale.
need=()
for pkg in postgresql mariadb-server libgl1-mesa-dev xorg-dev gcc-mingw-w64-x86-64 \
  swaks libio-socket-ssl-perl libnet-ssleay-perl libauthen-sasl-perl curl python3 protobuf-compiler postfix \
  fetchmail isync; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # postfix (for its smtp-sink test server) must not set up a running MTA.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get install -y -q --no-install-recommends "${need[@]}"
  postfix stop 2>/dev/null || true
fi

# --- PostgreSQL ------------------------------------------------------------
say "PostgreSQL"
pg_version=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_isready -q -h /var/run/postgresql; then
  pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h /var/run/postgresql && break; sleep 1; done
pg_isready -h /var/run/postgresql
# The tests connect over the socket as root (peer or trust authentication).
su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'root'\"" | grep -q 1 ||
  su postgres -c "createuser --superuser root"
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'test'\"" | grep -q 1 ||
  su postgres -c "createdb --owner root test"
export MAILWRIGHT_TEST_PGSQL_DSN="postgres://root@/test?host=/var/run/postgresql&sslmode=disable"

# --- MariaDB ---------------------------------------------------------------
say "MariaDB"
if ! mariadb-admin ping --silent 2>/dev/null; then
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
fi
for _ in $(seq 1 30); do mariadb-admin ping --silent 2>/dev/null && break; sleep 1; done
mariadb-admin ping
mariadb -e "CREATE DATABASE IF NOT EXISTS test"
# Over the socket root authenticates as the system's root (unix_socket).
export MAILWRIGHT_TEST_MYSQL_DSN="root@unix(/run/mysqld/mysqld.sock)/test"

# --- Static checks ---------------------------------------------------------
say "gofmt, go vet, staticcheck"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi
go vet ./...
command -v staticcheck >/dev/null || GOFLAGS= go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The protoc plugins, at the versions the committed code was generated with.
command -v protoc-gen-go >/dev/null || GOFLAGS= go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
command -v protoc-gen-connect-go >/dev/null || GOFLAGS= go install connectrpc.com/connect/cmd/protoc-gen-connect-go@v1.19.1
staticcheck ./...

# --- Tests -----------------------------------------------------------------
say "go test (SQLite, PostgreSQL, MariaDB)"
go test -count=1 ./...
say "the Administrator's pages headless without cgo"
CGO_ENABLED=0 go test -count=1 ./admin/...

# --- Builds ----------------------------------------------------------------
say "server builds with CGO_ENABLED=0 for linux and windows"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o "$out/mailwrightd" ./server/cmd/mailwrightd
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -o "$out/mailwrightd.exe" ./server/cmd/mailwrightd
# The server must never import Fyne.
if go list -deps ./server/... ./store/... | grep -q '^fyne.io/'; then
  echo "the server imports Fyne"; exit 1
fi
say "the Administrator builds for linux and windows"
installer/build-admin.sh "$out"
ls -l "$out"
say "all checks passed"
