#!/usr/bin/env bash
# Download (never install) a stock Debian kernel image so scripts/guest/run.sh
# can boot it under qemu: lets us test eBPF kprobe/fentry code on kernels the
# host would not let us use. Prints the cached vmlinuz path as the last line
# of stdout; everything else goes to stderr. Cached runs do no download.
#
# Usage: fetch-kernel.sh 6.1|6.12|linux-image-PACKAGE-NAME
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

usage() { echo "usage: ${0##*/} 6.1|6.12|linux-image-PACKAGE" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

# Resolve the requested version to a concrete linux-image package name (lib.sh).
pkg="$(debian_kernel_package "$1")" || usage
[[ -n $pkg ]] || die "could not resolve a kernel package for '$1' (apt-get update?)"
ver="$(debian_candidate_version "$pkg")"
[[ -n $ver ]] || die "package $pkg has no installable candidate"

dir="$GUEST_CACHE/kernels/${pkg}_${ver}"
# Modules the scenarios need that Debian builds as modules (tun: the scripted
# peer's TUN device), decompressed so busybox insmod can load them.
modules=(tun)
if ! compgen -G "$dir/vmlinuz-*" >/dev/null || [[ ! -f $dir/modules/tun.ko ]]; then
    log "fetching $pkg=$ver into $dir"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    # Sandbox user root: apt's _apt user could not write into our private temp dir.
    (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg=$ver" >&2)
    dpkg-deb -x "$tmp"/*.deb "$tmp/x"
    mkdir -p "$tmp/out"
    cp "$tmp"/x/boot/vmlinuz-* "$tmp"/x/boot/config-* "$tmp/out/"
    mkdir -p "$tmp/out/modules"
    for module in "${modules[@]}"; do
        found="$(find "$tmp/x/lib/modules" -name "$module.ko*" | head -n1)"
        [[ -n $found ]] || die "module $module not found in $pkg"
        case "$found" in
            *.ko.xz) xz -dc "$found" >"$tmp/out/modules/$module.ko" ;;
            *.ko.zst) zstd -qdc "$found" >"$tmp/out/modules/$module.ko" ;;
            *.ko) cp "$found" "$tmp/out/modules/$module.ko" ;;
        esac
    done
    mkdir -p "$(dirname "$dir")"
    rm -rf "$dir" && mv "$tmp/out" "$dir" # atomic-ish publish
else
    log "using cached $pkg=$ver"
fi
log "resolved $pkg=$ver"
compgen -G "$dir/vmlinuz-*" | head -n1
