#!/usr/bin/env bash
# Download (never install) Debian's linux-source-X.Y at exactly the version of
# the stock guest kernel fetch-kernel.sh boots for the same name, and unpack
# its tarball once into $GUEST_CACHE/sources/linux-source-<version>/: the
# tree build-kernel.sh builds and mutant-tree.sh patches, so a mutant differs
# from the stock guest kernel by its patch (and the config fragment) only.
# Prints the tree's path as the last line of stdout; everything else goes to
# stderr. Cached runs download nothing.
#
# Usage: fetch-kernel-source.sh 6.1|6.12|linux-image-PACKAGE-NAME
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

usage() { echo "usage: ${0##*/} 6.1|6.12|linux-image-PACKAGE" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

image_pkg="$(debian_kernel_package "$1")" || usage
[[ -n $image_pkg ]] || die "could not resolve a kernel package for '$1' (apt-get update?)"
ver="$(debian_candidate_version "$image_pkg")"
[[ -n $ver ]] || die "package $image_pkg has no installable candidate"
# 6.12.118-1~deb12u1 -> linux-source-6.12, pinned to that same version.
[[ $ver =~ ^([0-9]+\.[0-9]+)[.-] ]] || die "cannot read a major.minor from version '$ver' of $image_pkg"
src_pkg="linux-source-${BASH_REMATCH[1]}"
apt-cache madison "$src_pkg" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -qxF -- "$ver" ||
    die "$src_pkg has no version $ver (the version of $image_pkg); apt-get update?"

# The directory name carries the Debian version (~ made path-friendly).
dir="$GUEST_CACHE/sources/linux-source-${ver//[^A-Za-z0-9.+-]/-}"
if [[ -f $dir/Makefile && -d $dir/net/ipv4 ]]; then
    log "using cached $src_pkg=$ver"
else
    ensure_cmds xz:xz-utils tar:tar dpkg-deb:dpkg
    mkdir -p "$GUEST_CACHE/sources"
    # Unpack beside the destination so the final rename is atomic: a tree is
    # either whole or absent, whatever interrupted an earlier run.
    tmp="$(mktemp -d "$GUEST_CACHE/sources/.fetch.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    log "fetching $src_pkg=$ver (same version as $image_pkg)"
    # Sandbox user root: apt's _apt user could not write into our private temp dir.
    (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$src_pkg=$ver" >&2)
    dpkg-deb -x "$tmp"/*.deb "$tmp/x"
    tarball="$(compgen -G "$tmp/x/usr/src/linux-source-*.tar.*" | head -n1 || true)"
    [[ -n $tarball ]] || die "no usr/src/linux-source-*.tar.* in $src_pkg=$ver"
    log "unpacking ${tarball##*/}"
    mkdir "$tmp/tree"
    tar -xf "$tarball" -C "$tmp/tree"
    top="$(compgen -G "$tmp/tree/*" | head -n1 || true)"
    [[ -f $top/Makefile ]] || die "${tarball##*/} holds no kernel tree"
    rm -rf "$dir"
    mv "$top" "$dir"
fi
log "kernel source $src_pkg=$ver"
printf '%s\n' "$dir"
