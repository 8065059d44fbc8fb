#!/bin/sh
# Runs the idle-connection memory benchmark through bench/imapload/run.sh,
# which installs Dovecot and raises the limits first:
#
#   sh bench/idlemem/run.sh [flags of bench/idlemem, e.g. -conns 2000]
exec sh "$(dirname "$0")/../imapload/run.sh" idlemem "$@"
