#!/bin/bash
# The catalogue's F13, a controller the host's cgroup v2 does not offer:
# boots the VM with cgroup_disable=pids and runs
# tests/vm/guest/controller-missing.sh there.
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../../.." && pwd)
exec "$HERE/../vm-run" --timeout 600 --smp 2 --mem 1G --append cgroup_disable=pids \
    -e "MUST_WORK=${MUST_WORK:-0}" -- "cd '$ROOT' && bash tests/vm/guest/controller-missing.sh"
