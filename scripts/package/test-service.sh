#!/usr/bin/env bash
# `synshadow service` as systemd runs it, against a real systemd-journald
# (started in a private mount namespace, so the host's /run is untouched):
# findings arrive as journal entries with their SYNSHADOW_* fields, SIGHUP
# with a changed threshold keeps the session and the model's counts, SIGHUP
# with a changed filter starts a new session, a broken file keeps the running
# one, SIGTERM detaches and exits 0. Traffic only on loopback. Needs root.
#
# Usage: scripts/package/test-service.sh [SYNSHADOW]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary="$(realpath "${1:-$repo/.build/debug/synshadow}")"
[[ $(id -u) -eq 0 ]] || { echo "test-service: needs root (BPF, mounts)" >&2; exit 77; }
if [[ -z ${SYNSHADOW_IN_NAMESPACE:-} ]]; then
    exec env SYNSHADOW_IN_NAMESPACE=1 unshare --mount --propagation private bash "$0" "$binary"
fi
fail() { echo "test-service: FAIL: $*" >&2; [[ -n ${journal:-} ]] && journalctl -D "$journal" --no-pager -o json | grep -m3 FINDING | cut -c1-900 >&2; exit 1; }
say() { echo "test-service: $*" >&2; }
for tool in /lib/systemd/systemd-journald journalctl systemd-cat curl python3; do
    command -v "$tool" >/dev/null || fail "$tool missing (Debian: systemd, curl, python3)"
done

mkdir -p /run/systemd /run/log
mount -t tmpfs tmpfs /run/systemd
mount -t tmpfs tmpfs /run/log
work="$(mktemp -d)"
/lib/systemd/systemd-journald &
journald=$!
journal=/run/log/journal
cleanup() {
    [[ -n ${service:-} ]] && kill "$service" 2>/dev/null && wait "$service" 2>/dev/null
    [[ -n ${server:-} ]] && kill "$server" 2>/dev/null
    kill "$journald" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do [[ -S /run/systemd/journal/stdout ]] && break; sleep 0.1; done
[[ -S /run/systemd/journal/stdout ]] || fail "journald did not start"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
metrics_port="$(free_port)" port="$(free_port)" other_port="$(free_port)"
config="$work/synshadow.conf"
cat >"$config" <<CONF
# written by test-service.sh
metrics-listen = 127.0.0.1:$metrics_port
accept-threshold-ms = 100
port = $port
CONF
entries() { journalctl -D "$journal" --no-pager -o cat "$@" 2>/dev/null; }
wait_for() { # PATTERN SECONDS: a line of the service's own output in the journal
    for _ in $(seq $(($2 * 10))); do entries SYSLOG_IDENTIFIER=synshadow | grep -q -- "$1" && return 0; sleep 0.1; done
    return 1
}
syns() { curl -sf "127.0.0.1:$metrics_port/metrics" | awk -v l="listener=\"127.0.0.1:$port\"" 'index($0, "synshadow_syns_total{") == 1 && index($0, l) { print $2 }'; }

# A listener with backlog 1 that accepts late: SYNs dropped, slow accepts.
cat >"$work/server.py" <<'PY'
import socket, sys, threading, time
port = int(sys.argv[1])
listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port)); listener.listen(1)
def client():
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=10); time.sleep(4); c.close()
    except OSError:
        pass
threads = [threading.Thread(target=client) for _ in range(8)]
[t.start() for t in threads]
time.sleep(1.5)
listener.settimeout(6)
for _ in range(8):
    try:
        child, _ = listener.accept(); child.close()
    except OSError:
        break
[t.join() for t in threads]
time.sleep(30)
PY

# What systemd does for a unit's standard output: a stream to journald, named
# in JOURNAL_STREAM (device:inode), which is how the service knows it may
# write entries of its own.
systemd-cat -t synshadow bash -c 'export JOURNAL_STREAM="$(stat -L -c %d:%i /proc/$$/fd/1)"; exec "$0" "$@"' \
    "$binary" service --config "$config" &
service=$!
wait_for "self-check" 60 || fail "the service did not start"
stream="$(tr '\0' '\n' <"/proc/$(pgrep -f "service --config $config" | head -n1)/environ" | grep ^JOURNAL_STREAM= || true)"
say "service started under systemd-cat ($stream)"

python3 "$work/server.py" "$port" &
server=$!
for _ in $(seq 150); do [[ -n $(entries SYNSHADOW_ID=accept-slow) ]] && break; sleep 0.1; done
json="$(journalctl -D "$journal" --no-pager -o json SYNSHADOW_ID=accept-slow | head -n1)"
[[ -n $json ]] || fail "no accept-slow finding in the journal"
python3 - "$json" "$port" <<'PY' || fail "the finding's journal fields are not right"
import json, sys
entry, port = json.loads(sys.argv[1]), sys.argv[2]
expect = {"SYNSHADOW_LISTENER": "127.0.0.1:" + port, "SYNSHADOW_SEVERITY": "warning", "PRIORITY": "4",
          "SYNSHADOW_CATEGORY": "behaviour", "SYSLOG_IDENTIFIER": "synshadow", "_TRANSPORT": "journal"}
wrong = {k: (entry.get(k), v) for k, v in expect.items() if entry.get(k) != v}
for field in ("SYNSHADOW_FLOW", "SYNSHADOW_NETNS", "SYNSHADOW_COMM", "SYNSHADOW_STEP", "MESSAGE"):
    if not entry.get(field): wrong[field] = (None, "present")
if "accept-slow" not in entry.get("MESSAGE", ""): wrong["MESSAGE"] = (entry.get("MESSAGE"), "names accept-slow")
if wrong: print("test-service: wrong fields:", wrong, file=sys.stderr); sys.exit(1)
PY
kinds="$(journalctl -D "$journal" --no-pager -o json SYSLOG_IDENTIFIER=synshadow _TRANSPORT=journal \
    | python3 -c 'import json,sys,collections; print(dict(collections.Counter(json.loads(l)["SYNSHADOW_ID"] for l in sys.stdin)))')"
say "findings in the journal, as entries with fields: $kinds"

before="$(syns)"
[[ -n $before && $before != 0 ]] || fail "the metrics show no SYNs for the listener"
sed -i 's/^accept-threshold-ms = 100/accept-threshold-ms = 250/' "$config"
pkill -HUP -f "service --config $config"
wait_for "the session and its model are kept" 10 || fail "a threshold change did not keep the session"
after="$(syns)"
[[ -n $after && $after -ge $before ]] || fail "the model's SYN count went from $before to '$after' across a reload that keeps it"
say "SIGHUP, threshold 100 -> 250 ms: session kept, synshadow_syns_total $before -> $after"

echo "port = " >>"$config"
pkill -HUP -f "service --config $config"
wait_for "the running configuration stays" 10 || fail "a broken file was not refused"
sed -i '$d' "$config"
say "SIGHUP with a broken line: refused, the running configuration stays"

sed -i "s/^port = $port/port = $other_port/" "$config"
pkill -HUP -f "service --config $config"
wait_for "a new session starts" 10 || fail "a filter change did not start a new session"
for _ in $(seq 100); do [[ $(entries SYSLOG_IDENTIFIER=synshadow | grep -c "self-check") -ge 2 ]] && break; sleep 0.1; done
[[ $(entries SYSLOG_IDENTIFIER=synshadow | grep -c "self-check") -ge 2 ]] || fail "the new session did not start"
say "SIGHUP, port $port -> $other_port: a new session started"

pkill -TERM -f "service --config $config"
status=0
wait "$service" || status=$?
service=
[[ $status -eq 0 ]] || fail "SIGTERM: exit status $status"
wait_for "detached:" 5 || fail "no detach summary"
say "SIGTERM: detached, exit status 0"
say "PASS"
