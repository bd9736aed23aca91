#!/usr/bin/env bash
# The main job on a fresh Debian machine: install what is missing, build a
# release binary, and run the self-contained live demo (or any synshadow
# command given as arguments, e.g. `scripts/demo.sh trace --port 8080`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product synshadow >&2
binary="$(swift build -c release --show-bin-path)/synshadow"
as_root=()
[[ $(id -u) -eq 0 ]] || as_root=(sudo)
exec "${as_root[@]}" "$binary" "${@:-demo}"
