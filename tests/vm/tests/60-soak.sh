#!/bin/bash
# The 1,000-cycle soak (issue 10) in CI's vm tier: tests/vm/soak-vm.sh,
# the same run as `make soak-vm` (one boot, TAP passes through).  About
# 3 min on a quiet host, 10 min at a load of 6-8: the tier's 2400 s
# budget holds it.
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
exec bash "$HERE/../soak-vm.sh"
