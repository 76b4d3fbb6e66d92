#!/bin/bash
# make soak-vm and the vm tier's tests/60-soak.sh: tests/soak/soak.sh in
# the cgroup v2 VM with SOAK_CYCLES=1000 (VM_SOAK_CYCLES overrides), one
# boot, TAP passes through.  Under TCG a login costs ~0.3 s: shorter
# session leaders, fewer kill passes over /proc.  2 min 46 s on a quiet
# host; at a host load of 10 the steady phase's 400 cycles alone took
# 487 s, hence the long timeout.  Here the cgroup figure counts: the
# keeper makes tenant.slice/user-UID.
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
exec "$HERE/vm-run" --timeout 1500 --smp 2 --mem 2G -e "MUST_WORK=${MUST_WORK:-0}" \
    -e "SOAK_CYCLES=${VM_SOAK_CYCLES:-1000}" -e SOAK_SLEEP=0.02 -e SOAK_KILL_EVERY=0.4 \
    -e SOAK_USER_PREFIX=soak-vm \
    -- "cd '$ROOT' && bash tests/soak/soak.sh"
