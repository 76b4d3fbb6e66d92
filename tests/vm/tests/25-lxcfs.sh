#!/bin/bash
# proc.lxcfs with the real lxcfs daemon: boots the cgroup v2 VM once and
# runs tests/vm/guest/lxcfs.sh there (TAP passes through).
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../../.." && pwd)
exec "$HERE/../vm-run" --timeout 600 --smp 2 --mem 1G -e "MUST_WORK=${MUST_WORK:-0}" \
    -- "cd '$ROOT' && bash tests/vm/guest/lxcfs.sh"
