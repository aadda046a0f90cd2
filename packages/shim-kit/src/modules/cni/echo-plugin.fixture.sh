#!/bin/sh
# A stand-in plugin for runCommand's tests: its stdin back on stdout, $CNI_COMMAND on stderr,
# and exit code 2, so each of the three is seen to come back.
cat
echo "$CNI_COMMAND" >&2
exit 2
