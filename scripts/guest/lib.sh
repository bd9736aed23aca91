# shellcheck shell=bash
# Shared helpers for the scripts/guest harness (sourced, not executed).

# shellcheck disable=SC2034 # used by the scripts that source this file
GUEST_CACHE="${SYNSHADOW_GUEST_CACHE:-$HOME/.cache/synshadow/guest}"

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $1"; exit "${2:-1}"; } # die MESSAGE [EXIT-STATUS]

# ensure_cmds "cmd:debian-package"... — apt-get install whatever is missing.
ensure_cmds() {
    local spec missing=()
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
    done
    ((${#missing[@]})) || return 0
    log "installing missing packages: ${missing[*]}"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "${missing[@]}" >&2
}
