#!/usr/bin/env bash
# Build a minimal guest kernel (bzImage) from a kernel source tree, for
# run.sh and `synshadow validate --kernel`: tinyconfig plus kernel.config
# (beside this script), checked option by option, built out of tree with the
# tree's own make in $GUEST_CACHE/kernel-builds/<key>, key = hash of the
# tree's real path and the fragment. A second run of the same tree
# reconfigures only when the fragment changed (or the configure step never
# finished) and leaves the rest to make's dependency tracking: a patched
# mutant tree (mutant-tree.sh) rebuilds only what its patch touched.
#
# The build's output goes to build.log in the build directory; stderr gets a
# progress line now and then, "built TREE in N s", and on failure the log's
# last lines. The bzImage path is the last line of stdout.
#
# Usage: build-kernel.sh [--config-only] TREE
#   --config-only  stop after configuring and checking; print the .config path
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

usage() {
    cat >&2 <<USAGE
usage: ${0##*/} [--config-only] TREE
  Builds TREE (a Linux source tree) with scripts/guest/kernel.config into
  \$GUEST_CACHE/kernel-builds/<key>/ and prints the bzImage path.
  --config-only  configure and check the options only; print the .config path
USAGE
    exit 2
}

config_only=0
while (($#)); do
    case "$1" in
        --config-only) config_only=1; shift ;;
        -h | --help) usage ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
    esac
done
[[ $# -eq 1 ]] || usage
[[ -d $1 ]] || die "not a directory: $1" 2
tree="$(realpath "$1")"
fragment="$here/kernel.config"
[[ -f $fragment ]] || die "config fragment missing: $fragment"
for f in Makefile Kconfig scripts/kconfig/merge_config.sh arch/x86/Kconfig; do
    [[ -f $tree/$f ]] || die "not a Linux kernel source tree (no $f): $tree" 2
done
grep -q '^VERSION = [0-9]' "$tree/Makefile" || die "not a Linux kernel source tree (Makefile has no VERSION): $tree" 2
# An out-of-tree build refuses a source tree that was configured in place.
if [[ -e $tree/.config || -d $tree/include/config ]]; then
    die "$tree was configured or built in place; run 'make mrproper' there (or give a clean copy)" 2
fi

# Build dependencies before configuring: Kconfig asks the toolchain and pahole
# for their versions, and drops DEBUG_INFO_BTF if pahole is missing.
ensure_cmds gcc:gcc make:make flex:flex bison:bison bc:bc pahole:dwarves \
    xz:xz-utils gzip:gzip awk:mawk
ensure_pkgs libc6-dev libelf-dev # host tools: objtool, resolve_btfids (gelf.h)

key="$( { printf '%s\n' "$tree"; cat "$fragment"; } | sha256sum | cut -c1-16)"
out="$GUEST_CACHE/kernel-builds/$key"
mkdir -p "$out"
printf '%s\n' "$tree" >"$out/.synshadow-tree" # which tree this directory builds

# One build per directory at a time.
exec 9>"$out/.synshadow-lock"
if ! flock -n 9; then
    log "waiting for another build in $out"
    flock 9
fi

kmake=(make -C "$tree" O="$out" ARCH=x86_64)
logfile="$out/build.log"
stamp="$out/.synshadow-fragment" # the fragment of the last finished configure
start=$SECONDS
: >"$logfile"

# show_log_tail MESSAGE — die with the log's last lines.
show_log_tail() {
    {
        echo "---- last lines of $logfile ----"
        tail -n 40 "$logfile"
        echo "----"
    } >&2
    die "$1"
}

# Every option of the fragment that did not end as written (Kconfig drops an
# option whose dependencies are unmet without a word).
dropped_options() {
    local line sym want got
    while IFS= read -r line; do
        if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
            sym="${BASH_REMATCH[1]}" want="${BASH_REMATCH[2]}"
        elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
            sym="${BASH_REMATCH[1]}" want=n
        else
            continue
        fi
        got="$(grep -m1 "^$sym=" "$out/.config" | cut -d= -f2- || true)"
        [[ -n $got ]] || got=n
        [[ $got == "$want" ]] || printf '  %s: wanted %s, got %s\n' "$sym" "$want" "$got"
    done <"$fragment"
}

if [[ -f $out/.config && -f $stamp ]] && cmp -s "$stamp" "$fragment"; then
    log "configuration up to date ($out/.config)"
else
    log "configuring $tree: tinyconfig + ${fragment##*/} in $out"
    rm -f "$stamp"
    {
        "${kmake[@]}" tinyconfig &&
            (cd "$tree" && scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$fragment") &&
            "${kmake[@]}" olddefconfig
    } >>"$logfile" 2>&1 || show_log_tail "configuring $tree failed"
    dropped="$(dropped_options)"
    [[ -z $dropped ]] || die "Kconfig dropped options of ${fragment##*/} (unmet dependencies?):"$'\n'"$dropped"
    cp "$fragment" "$stamp"
    log "configured: $(grep -c '^CONFIG_' "$out/.config") options set"
fi
# Module signing needs OpenSSL headers; the fragment builds no modules, but a
# tree whose Kconfig forces a keyring still gets what it needs.
if grep -Eq '^CONFIG_(MODULE_SIG|SYSTEM_TRUSTED_KEYRING)=y' "$out/.config"; then
    ensure_pkgs libssl-dev
fi
if ((config_only)); then
    printf '%s\n' "$out/.config"
    exit 0
fi

jobs="$(nproc)"
log "building $tree (-j$jobs; log: $logfile)"
# The whole output into the log; on stderr a line every 30 s or so: the build
# steps so far ("  CC net/ipv4/tcp.o" lines) and the latest of them.
progress() {
    local line last="" steps=0 next=$((SECONDS + 30))
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$logfile"
        if [[ $line =~ ^\ \ [A-Z][A-Z0-9_]*\ +(.*)$ ]]; then
            steps=$((steps + 1)) last="${line#  }" last="${last%%[[:space:]]*} ${BASH_REMATCH[1]}"
        fi
        if ((SECONDS >= next)); then
            log "... $((SECONDS - start)) s, $steps steps, last: ${last:-(none yet)}"
            next=$((SECONDS + 30))
        fi
    done
}
rc=0
"${kmake[@]}" -j"$jobs" bzImage 2>&1 | progress || rc=$?
((rc == 0)) || show_log_tail "building $tree failed (make exit $rc)"

image="$out/arch/x86/boot/bzImage"
[[ -f $image ]] || show_log_tail "make succeeded but left no $image"
log "built $tree in $((SECONDS - start)) s: $image ($(stat -c %s "$image") bytes)"
printf '%s\n' "$image"
