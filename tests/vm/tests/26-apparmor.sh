#!/bin/bash
# The catalogue's LSM denial (F32) with AppArmor, which Debian's kernel
# boots with; policy is loaded into the VM's own kernel only: boots the
# VM once and runs tests/vm/guest/apparmor.sh there.
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../../.." && pwd)
exec "$HERE/../vm-run" --timeout 900 --smp 2 --mem 2G -e "MUST_WORK=${MUST_WORK:-0}" \
    -- "cd '$ROOT' && bash tests/vm/guest/apparmor.sh"
