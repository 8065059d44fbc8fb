#!/usr/bin/env bash
# Builds Mailwright Administrator (the Fyne desktop program at the repository
# root) into OUTDIR:
#   OUTDIR/mailwright-admin      linux/amd64, cgo (OpenGL + X11)
#   OUTDIR/mailwright-admin.exe  windows/amd64, cross-compiled with mingw-w64
#
# Usage: installer/build-admin.sh OUTDIR
#   TARGETS="linux windows"  which to build (default both)
#   MINGW_CC=...             the mingw C compiler (default x86_64-w64-mingw32-gcc)
#
# It installs nothing. The build needs these Debian packages:
#   libgl1-mesa-dev xorg-dev          (linux build)
#   gcc-mingw-w64-x86-64              (windows build)
# A cold windows build compiles GLFW and OpenGL with mingw and takes minutes;
# keep GOCACHE between runs.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")/.."

targets=${TARGETS:-linux windows}
mingw_cc=${MINGW_CC:-x86_64-w64-mingw32-gcc}

need() { # need COMMAND PACKAGE
	if ! command -v "$1" >/dev/null; then
		echo "$0: $1 not found; install the Debian package $2" >&2
		exit 1
	fi
}

for target in $targets; do
	case $target in
	linux)
		need gcc gcc
		echo "building $out/mailwright-admin (linux/amd64)"
		start=$SECONDS
		if ! CGO_ENABLED=1 GOOS=linux GOARCH=amd64 \
			go build -trimpath -o "$out/mailwright-admin" .; then
			echo "$0: linux build failed; are libgl1-mesa-dev and xorg-dev installed?" >&2
			exit 1
		fi
		echo "  done in $((SECONDS - start))s"
		;;
	windows)
		need "$mingw_cc" gcc-mingw-w64-x86-64
		echo "building $out/mailwright-admin.exe (windows/amd64)"
		start=$SECONDS
		# -H=windowsgui: a GUI program, so Windows opens no console window.
		CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC="$mingw_cc" \
			go build -trimpath -ldflags=-H=windowsgui -o "$out/mailwright-admin.exe" .
		echo "  done in $((SECONDS - start))s"
		;;
	*)
		echo "$0: unknown target $target (want linux or windows)" >&2
		exit 2
		;;
	esac
done
