#!/usr/bin/env bash
# Runs synshadow with --otlp-endpoint against a real OTLP/HTTP receiver
# (receiver.py, decoding with the opentelemetry-proto package), makes some
# traffic with a known finding (an accept queue overflow), and prints what
# the receiver decoded. As root, from the repository:
#   examples/otel/run.sh            # receiver on 127.0.0.1:4318
#   OTLP_PORT=14318 examples/otel/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${OTLP_PORT:-4318}"
app_port="${APP_PORT:-9912}"
venv="${VENV:-$HOME/.cache/synshadow/otel-venv}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { apt-get install -y python3-venv >/dev/null && python3 -m venv "$venv"; }
fi
"$venv/bin/pip" install --quiet opentelemetry-proto

(cd "$repo" && swift build >/dev/null)
synshadow="$repo/.build/debug/synshadow"

log="$(mktemp)"
"$venv/bin/python" "$here/receiver.py" "$port" >"$log" 2>&1 &
receiver=$!
trap 'kill $receiver 2>/dev/null || true; rm -f "$log"' EXIT
sleep 1

# A listener of backlog 1 that accepts two connections, then stops accepting:
# two children queue and the next SYN is dropped (syn-dropped-accept-queue-full).
python3 - "$app_port" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen(1)
time.sleep(3)                      # synshadow's self-check runs meanwhile
for _ in range(2):
    client = socket.create_connection(("127.0.0.1", port))
    listener.accept()[0].close()
    client.close()
queued = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
dropped = socket.socket()
dropped.setblocking(False)
try:
    dropped.connect(("127.0.0.1", port))
except BlockingIOError:
    pass
time.sleep(3)
PY
traffic=$!

# Metrics go out every 10 s (OTEL_METRIC_EXPORT_INTERVAL, in ms, overrides)
# and once more at exit, with the queued findings.
"$synshadow" trace --port "$app_port" --findings-only --duration 8 --otlp-endpoint "http://127.0.0.1:$port"
wait $traffic || true
sleep 1
echo "--- what the receiver decoded:"
cat "$log"
