#!/usr/bin/env bash
# Self-test for the qemu guest harness: for each supported Debian kernel,
# fetch it, boot it, check the eBPF-relevant bits we rely on (BTF, kallsyms),
# and check that exit status and /out files make it back to the host.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Runs inside the guest; distinct exit codes say which check failed.
# shellcheck disable=SC2016 # expanded by the guest shell, not here
guest_script='
uname -r
[ -e /sys/kernel/btf/vmlinux ] || { echo "no BTF"; exit 10; }
n=$(grep -c " tcp_v4_conn_request$" /proc/kallsyms) || { echo "no tcp_v4_conn_request"; exit 11; }
echo "kallsyms tcp_v4_conn_request: $n"
uname -r >/out/uname.txt
host-sha256sum /out/uname.txt >/out/uname.sha256 || exit 12
exit 3
'

fail=0
for version in 6.1 6.12; do
    out="$tmp/$version"
    mkdir -p "$out"
    kernel="$("$here/fetch-kernel.sh" "$version" | tail -n1)"
    start="$(date +%s%N)"
    rc=0
    "$here/run.sh" --kernel "$kernel" --timeout 180 --out-dir "$out/files" \
        --file "$(command -v sha256sum):/usr/local/bin/host-sha256sum" \
        -- sh -c "$guest_script" | tee "$out/console" || rc=$?
    ms=$((($(date +%s%N) - start) / 1000000))
    secs="$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    problems=()
    [[ $rc == 3 ]] || problems+=("run.sh exit $rc, want 3")
    uname_r="$(cat "$out/files/uname.txt" 2>/dev/null || true)"
    [[ $uname_r == "$version".* ]] || problems+=("/out/uname.txt is '$uname_r', want $version.*")
    want_sum="$(sha256sum <"$out/files/uname.txt" 2>/dev/null | cut -d' ' -f1 || true)"
    [[ -n $want_sum && "$(cut -d' ' -f1 "$out/files/uname.sha256" 2>/dev/null)" == "$want_sum" ]] ||
        problems+=("guest checksum of uname.txt missing or different (dynamic --file or transfer broken)")
    if ((${#problems[@]})); then
        log "FAIL $version ($kernel, ${secs}s): ${problems[*]}"
        fail=1
    else
        log "PASS $version: $uname_r, boot+run ${secs}s"
    fi
done
exit "$fail"
