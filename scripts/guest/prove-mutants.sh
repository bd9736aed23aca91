#!/usr/bin/env bash
# The proof that a kernel comparison catches a real bug in a real build
# (issue 17): Debian's linux-source-6.12 is built unpatched and once per
# mutant in Tests/KernelMutants/ (a one-line bug in the passive open each),
# the scenario suite runs once on each build and on Debian's packaged 6.12,
# and `synshadow validate` compares the saved runs: the unpatched build must
# match the packaged kernel row for row, each mutant must turn rows red.
#
# Too slow for CI (two kernel builds, then one guest suite per kernel, about
# 5 minutes each under TCG): run it by hand, or as the opt-in test
# `SYNSHADOW_MUTANT_PROOF=1 swift test --filter MutantProofTests`.
#
# Writes into OUT (default ./mutant-proof): images/*.bzImage, runs/*.json
# (each kernel's verdict rows), <name>-vs-6.12.txt and .json (the
# comparisons) and summary.txt (one line per comparison with its exit status).
#
# Usage: prove-mutants.sh [--out DIR] [--tier T] [--connections N] [PATCH...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
repo="$(cd "$here/../.." && pwd)"

usage() {
    echo "usage: ${0##*/} [--out DIR] [--tier all|fentry|kprobe|tracepoint] [--connections N] [PATCH...]" >&2
    exit 2
}
out="$PWD/mutant-proof" tier=all connections=100
while (($#)); do
    case "$1" in
        --out | --tier | --connections) (($# >= 2)) || usage ;;&
        --out) out="$2"; shift 2 ;;
        --tier) tier="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        -h | --help) usage ;;
        -*) usage ;;
        *) break ;;
    esac
done
patches=("$@")
((${#patches[@]})) || patches=("$repo"/Tests/KernelMutants/*.patch)
[[ $(id -u) -eq 0 ]] || die "run as root: the guests' suite attaches BPF programs" 2

synshadow="${SYNSHADOW:-$repo/.build/debug/synshadow}"
if [[ ! -x $synshadow ]]; then
    log "building synshadow"
    (cd "$repo" && swift build >&2)
fi
mkdir -p "$out/images" "$out/runs"
summary="$out/summary.txt"
: >"$summary"
started=$SECONDS

# 1. The kernels: the tree unpatched, then each mutant (incremental builds).
src="$(bash "$here/fetch-kernel-source.sh" 6.12 | tail -n1)"
cp "$(bash "$here/build-kernel.sh" "$src" | tail -n1)" "$out/images/unpatched.bzImage"
names=()
for patch in "${patches[@]}"; do
    name="$(basename "$patch" .patch)"
    # Each mutant image is kept under a key of what made it (the patch, the
    # fragment, the source), so a rerun boots it again without rebuilding.
    key="$(cat "$patch" "$here/kernel.config" <(echo "$src") | sha256sum | cut -c1-16)"
    kept="$GUEST_CACHE/mutant-images/$name-$key.bzImage"
    if [[ ! -f $kept ]]; then
        tree="$(bash "$here/mutant-tree.sh" "$src" "$patch" | tail -n1)"
        mkdir -p "${kept%/*}"
        cp "$(bash "$here/build-kernel.sh" "$tree" | tail -n1)" "$kept.tmp" && mv "$kept.tmp" "$kept"
    else
        log "using the kept build of $name ($kept)"
    fi
    cp "$kept" "$out/images/$name.bzImage"
    names+=("$name")
done
log "kernels built in $((SECONDS - started)) s"

# 2. The suite once per kernel, saved as verdict rows.
suite() { # suite LABEL KERNEL
    log "suite on $1"
    local status=0
    "$synshadow" validate --kernel "$2" --tier "$tier" --connections "$connections" --json \
        >"$out/runs/$1.json" || status=$?
    echo "suite $1: exit $status, $(grep -c '"verdict":"PASS"' "$out/runs/$1.json" || true) PASS," \
        "$(grep -c '"verdict":"FAIL"' "$out/runs/$1.json" || true) FAIL" | tee -a "$summary" >&2
}
suite 6.12 6.12
suite unpatched "$out/images/unpatched.bzImage"
for name in "${names[@]}"; do suite "$name" "$out/images/$name.bzImage"; done

# 3. Each build against Debian's packaged 6.12, from the saved runs.
for name in unpatched "${names[@]}"; do
    status=0
    "$synshadow" validate --kernel "$out/runs/6.12.json" --kernel "$out/runs/$name.json" \
        >"$out/$name-vs-6.12.txt" || status=$?
    "$synshadow" validate --kernel "$out/runs/6.12.json" --kernel "$out/runs/$name.json" --json \
        >"$out/$name-vs-6.12.json" || true
    echo "$name vs 6.12: exit $status; $(tail -n1 "$out/$name-vs-6.12.txt")" | tee -a "$summary" >&2
done
log "done in $((SECONDS - started)) s: $summary"
