#!/usr/bin/env bash
# Installs, when missing, what SynShadow needs on a Debian machine, and
# mounts tracefs. Sourced by demo.sh and test.sh; safe to run again.
#   scripts/setup.sh            build + run needs (libbpf, libelf, zlib, pkg-config)
#   scripts/setup.sh test       plus what the tests drive (qemu, busybox, iproute2, tmux, journald,
#                               lintian and debootstrap for the package, and a real
#                               server and load generator: nginx-light, wrk)
set -euo pipefail

packages=(libbpf-dev libelf-dev zlib1g-dev pkg-config)
if [[ ${1:-} == test ]]; then
    packages+=(iproute2 qemu-system-x86 busybox-static cpio xz-utils tmux kmod nginx-light wrk procps
        systemd curl binutils lintian debootstrap)
fi

as_root=()
[[ $(id -u) -eq 0 ]] || as_root=(sudo)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    "${as_root[@]}" apt-get update -qq >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if ! command -v swift >/dev/null 2>&1; then
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        echo "setup: no Swift toolchain found: install Swift 6 from swift.org (it brings the clang that compiles bpf/)" >&2
        exit 1
    fi
fi

# libbpf attaches tracepoints through tracefs.
if [[ ! -e /sys/kernel/tracing/events && ! -e /sys/kernel/debug/tracing/events ]]; then
    "${as_root[@]}" mount -t tracefs tracefs /sys/kernel/tracing
fi
