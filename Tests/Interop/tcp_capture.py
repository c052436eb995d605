#!/usr/bin/env python3
"""A TCP relay that records every byte a client sends to a server, for tests that check
what crosses the wire (e.g. that CURVE traffic carries no plaintext).

Usage: tcp_capture.py LISTEN_PORT TARGET_HOST:TARGET_PORT CAPTURE_FILE
LISTEN_PORT 0 picks a free port. Prints "ready PORT" once listening; relays connections until killed.
"""
import signal
import socket
import sys
import threading


def pump(source, target, capture, lock):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            if capture is not None:
                with lock:
                    capture.write(data)
                    capture.flush()
            target.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the test runner may have left it ignored
    port, target, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    host, target_port = target.rsplit(":", 1)
    capture, lock = open(path, "wb"), threading.Lock()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    print(f"ready {server.getsockname()[1]}", flush=True)
    while True:
        client, _ = server.accept()
        upstream = socket.create_connection((host, int(target_port)))
        threading.Thread(target=pump, args=(client, upstream, capture, lock), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, capture, lock), daemon=True).start()


if __name__ == "__main__":
    main()
