#!/usr/bin/env bash
# Every test, on a fresh Debian machine: installs what is missing, builds,
# runs the unit and live tests (live ones need root; without it they are
# skipped with a message naming why).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
swift build --build-tests
# One test at a time: the live tests share the kernel's hooks, and qemu guests
# on two cores must not starve them.
swift test --skip-build --no-parallel
