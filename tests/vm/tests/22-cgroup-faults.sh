#!/bin/bash
# The catalogue's cgroup faults (F12, F14) under a real cgroup v2 kernel:
# boots the VM once and runs tests/vm/guest/cgroup-faults.sh there.
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../../.." && pwd)
exec "$HERE/../vm-run" --timeout 900 --smp 2 --mem 2G -e "MUST_WORK=${MUST_WORK:-0}" \
    -- "cd '$ROOT' && bash tests/vm/guest/cgroup-faults.sh"
