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
    apt_install "${missing[@]}"
}

# ensure_pkgs debian-package... — the same for packages with no command to
# look for (headers, libraries): whatever dpkg does not list as installed.
ensure_pkgs() {
    local pkg missing=()
    for pkg in "$@"; do
        [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" == *" ok installed" ]] || missing+=("$pkg")
    done
    apt_install "${missing[@]}"
}

apt_install() {
    (($#)) || return 0
    log "installing missing packages: $*"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "$@" >&2
}

# debian_kernel_package 6.1|6.12|linux-image-PACKAGE — print the linux-image
# package fetch-kernel.sh boots for that name (nothing if none; status 2 on an
# unknown name). fetch-kernel-source.sh resolves through the same function so
# the source it unpacks is the very version of the stock guest kernel.
debian_kernel_package() {
    local names pkg=""
    case "$1" in
        6.1)
            # linux-image-amd64 (bookworm's default) Depends on linux-image-6.1.0-N-amd64.
            pkg="$(apt-cache show --no-all-versions linux-image-amd64 |
                sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -n1)" ;;
        6.12)
            # Newest bookworm-backports-style 6.12 build; prefer unsigned, fall back to signed.
            names="$(apt-cache pkgnames linux-image-6.12. | sort -V)"
            pkg="$(grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' <<<"$names" | tail -n1 || true)"
            [[ -n $pkg ]] || pkg="$(grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' <<<"$names" | tail -n1 || true)" ;;
        linux-image-*) pkg="$1" ;;
        *) return 2 ;;
    esac
    [[ -z $pkg ]] || printf '%s\n' "$pkg"
}

# debian_candidate_version PACKAGE — apt's candidate version, or nothing.
debian_candidate_version() {
    local ver
    ver="$(apt-cache policy "$1" | sed -n 's/^ *Candidate: *//p')"
    [[ -z $ver || $ver == "(none)" ]] || printf '%s\n' "$ver"
}
