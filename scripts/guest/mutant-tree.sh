#!/usr/bin/env bash
# Turn a kernel source tree into a mutant: one patch (Tests/KernelMutants/)
# applied to a working copy that lives at a fixed path,
# $GUEST_CACHE/sources/<pristine-name>-mutant, so build-kernel.sh keeps one
# build directory for every mutant of that tree and rebuilds incrementally.
#
# The copy is made once, as hard links (cp -al): cheap in time and disk.
# GNU patch writes each file it changes anew and renames it into place,
# which breaks that file's link, so the pristine tree is never modified; the
# script checks this for every file the patch touches. The patch applied
# last is kept in the tree (.synshadow-mutant.patch) and reverted with
# patch -R before the next one goes in; both steps give the files they write
# a fresh mtime, which is what tells make to rebuild what depends on them.
# Applying the patch already in place changes nothing.
#
# Prints the mutant tree's path as the last line of stdout.
#
# Usage: mutant-tree.sh PRISTINE_TREE PATCH
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

usage() { echo "usage: ${0##*/} PRISTINE_TREE PATCH   (a -p1 patch against the tree)" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
[[ -f $1/Makefile && -f $1/Kconfig ]] || die "not a Linux kernel source tree: $1" 2
[[ -f $2 ]] || die "no such patch: $2" 2
pristine="$(realpath "$1")"
patch_file="$(realpath "$2")"
[[ ! -e $pristine/.synshadow-mutant-of ]] || die "$pristine is itself a mutant tree; give the pristine one" 2
ensure_cmds patch:patch cp:coreutils

mutant="$GUEST_CACHE/sources/${pristine##*/}-mutant"
applied="$mutant/.synshadow-mutant.patch" # a copy of the patch in place
marker="$mutant/.synshadow-mutant"        # names it, for people
origin="$mutant/.synshadow-mutant-of"     # the pristine tree (marks a mutant tree)

# The files a -p1 patch writes (its +++ lines, first component stripped).
patched_files() {
    sed -n 's/^+++ \([^\t]*\).*/\1/p' "$1" | grep -v '^/dev/null$' | sed 's|^[^/]*/||' | sort -u
}

if [[ ! -d $mutant ]]; then
    mkdir -p "${mutant%/*}"
    tmp="$(mktemp -d "${mutant}.tmp.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    log "making $mutant: a hard-link copy of $pristine"
    if ! cp -al "$pristine" "$tmp/tree" 2>/dev/null; then
        log "hard links impossible (another filesystem?): copying instead"
        rm -rf "$tmp/tree"
        cp -a "$pristine" "$tmp/tree"
    fi
    printf '%s\n' "$pristine" >"$tmp/tree/.synshadow-mutant-of"
    mv "$tmp/tree" "$mutant"
    rm -rf "$tmp"
    trap - EXIT
fi

[[ "$(cat "$origin" 2>/dev/null)" == "$pristine" ]] ||
    die "$mutant is not a mutant of $pristine (no or another $origin); delete it and run again"

if [[ -f $applied ]] && cmp -s "$applied" "$patch_file"; then
    log "$(cat "$marker" 2>/dev/null || echo "${patch_file##*/}") already applied"
    printf '%s\n' "$mutant"
    exit 0
fi

if [[ -f $applied ]]; then
    log "reverting $(cat "$marker" 2>/dev/null || echo 'the previous patch')"
    if ! patch -d "$mutant" -p1 -R -s --no-backup-if-mismatch -r - <"$applied" >&2; then
        die "could not revert the previous patch in $mutant; delete it and its build directory" \
            "(grep -l $mutant $GUEST_CACHE/kernel-builds/*/.synshadow-tree) and run again"
    fi
    rm -f "$applied" "$marker"
fi

log "applying ${patch_file##*/}"
patch -d "$mutant" -p1 --dry-run -s -r - <"$patch_file" >&2 ||
    die "${patch_file##*/} does not apply to $pristine ($mutant is left unpatched)"
patch -d "$mutant" -p1 -s --no-backup-if-mismatch -r - <"$patch_file" >&2
cp "$patch_file" "$applied"
printf '%s (sha256 %s)\n' "${patch_file##*/}" "$(sha256sum <"$patch_file" | cut -c1-16)" >"$marker"

# Every file the patch wrote must have left the pristine tree's inode.
while IFS= read -r file; do
    [[ -e $pristine/$file && -e $mutant/$file ]] || continue
    [[ "$(stat -c %i "$pristine/$file")" != "$(stat -c %i "$mutant/$file")" ]] ||
        die "patching $file did not break its hard link: $pristine may be modified"
done < <(patched_files "$patch_file")

printf '%s\n' "$mutant"
