#!/bin/bash
# The catalogue's global kernel limits (F16: user.max_*_namespaces,
# fs.mount-max) under the VM's own kernel, where lowering them harms no
# one: boots the VM once and runs tests/vm/guest/ns-limits.sh there.
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../../.." && pwd)
exec "$HERE/../vm-run" --timeout 900 --smp 2 --mem 2G -e "MUST_WORK=${MUST_WORK:-0}" \
    -- "cd '$ROOT' && bash tests/vm/guest/ns-limits.sh"
