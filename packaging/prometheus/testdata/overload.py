#!/usr/bin/env python3
"""The load behind scrape-overload.txt: a loopback listener with backlog 1
that accepts one connection every 0.3 s, and 50 clients connecting at once
(each sends a line, then waits up to 20 s for the server to close).

    sudo synshadow trace --findings-only --metrics-listen 127.0.0.1:19464 --duration 25 &
    python3 overload.py 18080 50 & sleep 3; curl -s 127.0.0.1:19464/metrics > scrape-overload.txt
"""
import socket
import sys
import threading
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 18080
clients = int(sys.argv[2]) if len(sys.argv) > 2 else 50
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(1)
done = threading.Event()


def serve():
    server.settimeout(0.5)
    while not done.is_set():
        try:
            child, _ = server.accept()
        except socket.timeout:
            continue
        time.sleep(0.3)
        child.close()


def client(results, index):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(20)
    try:
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"hello\n")
        sock.recv(1)
        results[index] = "ok"
    except OSError as error:
        results[index] = type(error).__name__
    finally:
        sock.close()


threading.Thread(target=serve, daemon=True).start()
results = [None] * clients
threads = [threading.Thread(target=client, args=(results, i)) for i in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
done.set()
print({result: results.count(result) for result in set(results)})
