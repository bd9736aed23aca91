#!/usr/bin/env bash
# The package, tested as an operator meets it (issue 18): build the .deb,
# lintian reports no error, systemd accepts the unit, and in a minimal Debian
# root made by debootstrap (no Swift, no libbpf) the package installs with
# dpkg, `synshadow --version` prints the package's version, `demo` and
# `trace` run for real against this kernel, and the package removes and
# purges cleanly. Needs root (chroot, mounts, BPF). Prints figures on stderr.
#
# Usage: scripts/package/test-package.sh [DEB]   (built when not given)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
say() { echo "test-package: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { echo "test-package: needs root (debootstrap, chroot, BPF)" >&2; exit 77; }

missing=()
for package in lintian debootstrap systemd binutils; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

deb="${1:-}"
if [[ -z $deb ]]; then
    started=$SECONDS
    deb="$(bash scripts/package/build-deb.sh | tail -n1)"
    say "built $deb in $((SECONDS - started)) s"
fi
[[ -f $deb ]] || fail "no package at $deb"
version="$(dpkg-deb -f "$deb" Version)"
say "package $(basename "$deb"): $(stat -c %s "$deb") bytes, version $version, depends: $(dpkg-deb -f "$deb" Depends)"

# 1. lintian: no errors (warnings are printed, not fatal).
lintian --fail-on error --no-tag-display-limit "$deb" >&2 || fail "lintian reported errors"
say "lintian: no errors"

# 2. A minimal Debian root without Swift or libbpf, cached between runs.
cache="${SYNSHADOW_CACHE:-$HOME/.cache/synshadow}/debootstrap"
# minbase plus what any server has and the unit's check needs: systemd (its
# targets, systemd-analyze), procps (kill, for ExecReload), man-db.
tarball="$cache/bookworm-minbase-systemd.tar"
mkdir -p "$cache"
if [[ ! -s $tarball ]]; then
    started=$SECONDS
    rm -rf "$cache/root.partial"
    mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)"
    debootstrap --variant=minbase --include=systemd,procps,man-db bookworm "$cache/root.partial" \
        "${mirror:-http://deb.debian.org/debian}" >&2 \
        || fail "debootstrap failed"
    tar -C "$cache/root.partial" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$cache/root.partial"
    say "debootstrap: minimal bookworm root made in $((SECONDS - started)) s"
fi
root="$(mktemp -d /tmp/synshadow-root.XXXXXX)"
cleanup() {
    for mount in dev/pts dev sys proc tmp; do umount -l "$root/$mount" 2>/dev/null || true; done
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$tarball"
for absent in swift swiftc; do
    [[ -z $(find "$root/usr" -name "$absent" -type f 2>/dev/null | head -n1) ]] || fail "the root has $absent"
done
[[ -z $(find "$root" -name 'libbpf.so*' 2>/dev/null | head -n1) ]] || fail "the root has libbpf"
say "root: $(du -sh "$root" | cut -f1), no Swift, no libbpf"

# 3. Install; run it; remove; purge.
cp "$deb" "$root/tmp/synshadow.deb"
inroot() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount -t tmpfs tmpfs "$root/tmp"
cp "$deb" "$root/tmp/synshadow.deb"
inroot dpkg -i /tmp/synshadow.deb >&2 || fail "dpkg -i failed in the root"
printed="$(inroot synshadow --version)"
[[ $printed == "$version" ]] || fail "synshadow --version printed '$printed', the package is $version"
say "installed: synshadow --version = $printed"
inroot ldd /usr/sbin/synshadow >&2
for path in /usr/sbin/synshadow /lib/systemd/system/synshadow.service /etc/synshadow/synshadow.conf \
    /usr/share/man/man1/synshadow.1.gz /usr/share/bash-completion/completions/synshadow; do
    [[ -e $root$path ]] || fail "$path not installed"
done

inroot systemd-analyze verify /lib/systemd/system/synshadow.service >&2 \
    || fail "systemd-analyze verify rejected the unit"
say "systemd-analyze verify: the unit is accepted"
inroot synshadow service --config /etc/synshadow/synshadow.conf --check >&2 \
    || fail "the shipped configuration does not parse"

demo="$(inroot synshadow demo --connections 5 2>&1)" || { echo "$demo" >&2; fail "demo failed in the root"; }
echo "$demo" | tail -n 3 >&2
echo "$demo" | grep -q "5 of 5 clean connections accepted" || fail "demo did not accept its 5 connections"
trace="$(inroot synshadow trace --findings-only --duration 3 2>&1)" || { echo "$trace" >&2; fail "trace failed in the root"; }
echo "$trace" | grep -q "detached:" || { echo "$trace" >&2; fail "trace did not detach cleanly"; }
say "demo and trace ran in the root"

inroot dpkg -r synshadow >&2 || fail "dpkg -r failed"
[[ ! -e $root/usr/sbin/synshadow ]] || fail "the binary is still there after dpkg -r"
[[ -e $root/etc/synshadow/synshadow.conf ]] || fail "dpkg -r removed the configuration (it must wait for purge)"
inroot dpkg -P synshadow >&2 || fail "dpkg -P failed"
[[ ! -e $root/etc/synshadow ]] || fail "/etc/synshadow is still there after purge"
leftovers="$(inroot dpkg -L synshadow 2>/dev/null || true)"
[[ -z $leftovers ]] || fail "dpkg still lists files: $leftovers"
say "removed and purged cleanly"
say "PASS"
