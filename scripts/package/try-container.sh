#!/usr/bin/env bash
# Builds the container image of packaging/container/Containerfile with
# Debian's podman (buildah's chroot isolation, vfs storage: no daemon, no
# registry: the base is a debootstrap root imported as an image), then tries
# to run `synshadow demo` in it with the host's PID and network namespaces.
# By hand, not in CI (README, "Fleet" says what it showed on this machine).
#
# Usage: scripts/package/try-container.sh [DEB]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
[[ $(id -u) -eq 0 ]] || { echo "try-container: needs root" >&2; exit 77; }
command -v podman >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman crun >&2
deb="${1:-$(ls dist/synshadow_*_amd64.deb 2>/dev/null | tail -n1)}"
[[ -f $deb ]] || deb="$(bash scripts/package/build-deb.sh | tail -n1)"
base="${SYNSHADOW_CACHE:-$HOME/.cache/synshadow}/debootstrap/bookworm-minbase-systemd.tar"
[[ -s $base ]] || { echo "try-container: run scripts/package/test-package.sh first (it makes $base)" >&2; exit 1; }
podman=(podman --storage-driver vfs --cgroup-manager cgroupfs)
"${podman[@]}" import "$base" localhost/synshadow-base:bookworm >&2
version="$(dpkg-deb -f "$deb" Version)"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$deb" "$context/"
"${podman[@]}" build --isolation chroot --build-arg BASE=localhost/synshadow-base:bookworm \
    -f packaging/container/Containerfile -t "synshadow:$version" "$context" >&2
"${podman[@]}" image inspect "synshadow:$version" --format 'image {{index .RepoTags 0}}: {{.Size}} bytes, entrypoint {{.Config.Entrypoint}} {{.Config.Cmd}}' >&2
echo "try-container: running synshadow demo in it (host PID and network namespaces, /sys of the host)" >&2
"${podman[@]}" run --rm --privileged --pid=host --net=host -v /sys:/sys "synshadow:$version" demo --connections 3
