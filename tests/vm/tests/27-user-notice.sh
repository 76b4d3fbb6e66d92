#!/bin/bash
# The user's view of OOM kills and refused forks (issue 11) under a real
# cgroup v2 kernel: boots the VM once and runs tests/vm/guest/notice.sh
# there (TAP passes through).
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../../.." && pwd)
exec "$HERE/../vm-run" --timeout 900 --smp 2 --mem 2G -e "MUST_WORK=${MUST_WORK:-0}" \
    -- "cd '$ROOT' && bash tests/vm/guest/notice.sh"
