#!/bin/sh
# A process for the cgroup tests: waits for a line on stdin (the test moves it into the cgroup
# first: charges do not move with a process), then allocates ~4 MB and spins.
read go
x=$(head -c 4000000 /dev/zero | tr "\0" a)
while :; do :; done
