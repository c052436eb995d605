#!/usr/bin/env python3
"""A Trainyard worker written from docs/PROTOCOL.md alone, with pyzmq.

Sends a HEARTBEAT before registering (the coordinator answers `unknown_worker`, copying the
heartbeat's correlation id), registers, heartbeats for --seconds, sends one ECHO_REQUEST with an
f32 payload and checks the reply, then deregisters. Prints one JSON line with what happened. Exit codes:
0 ok, 3 refused by the coordinator (the ERROR message is printed), 4 protocol violation.
"""
import argparse
import array
import json
import os
import socket
import struct
import sys
import time

import zmq

HEADER = struct.Struct("<4sHHIIQQ")
REGISTER, WELCOME, HEARTBEAT, DEREGISTER, ERROR = 1, 2, 3, 4, 5
ECHO_REQUEST, ECHO_REPLY = 8, 9


def send(sock, version, mtype, meta=None, payload=(), corr=0):
    body = json.dumps(meta or {}).encode()
    sock.send_multipart([HEADER.pack(b"TYRD", version, mtype, 0, 1 + len(payload), 0, corr), body, *payload])


def recv(sock):
    frames = sock.recv_multipart()
    if len(frames[0]) != 32:
        raise SystemExit(4)
    magic, version, mtype, _flags, count, _job, corr = HEADER.unpack(frames[0])
    if magic != b"TYRD" or count != len(frames) - 1:
        print(json.dumps({"violation": "bad header"}))
        raise SystemExit(4)
    return mtype, json.loads(frames[1] or b"{}"), frames[2:], corr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connect", required=True)
    parser.add_argument("--id", required=True)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--version", type=int, default=1)
    args = parser.parse_args()

    registration = {"workerID": args.id, "host": socket.gethostname(), "cores": 1,
                    "memoryBytes": 1 << 30, "pid": os.getpid(), "software": "python-worker 0.1"}
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.ROUTING_ID, args.id.encode())
    sock.setsockopt(zmq.LINGER, 1000)
    sock.connect(args.connect)
    unknown_worker_correlation = None
    if args.version == 1:
        # §8 rule 5: a heartbeat from a peer that is not registered is answered unknown_worker,
        # and (§3.1) the answer copies the heartbeat's correlation id.
        send(sock, 1, HEARTBEAT, corr=77)
        if not sock.poll(5000):
            print(json.dumps({"error": "no answer to a HEARTBEAT before REGISTER"}))
            return 4
        mtype, meta, _, corr = recv(sock)
        if mtype != ERROR or meta.get("code") != "unknown_worker":
            print(json.dumps({"violation": f"expected ERROR unknown_worker, got type {mtype} {meta}"}))
            return 4
        unknown_worker_correlation = corr
    send(sock, args.version, REGISTER, registration, corr=1)
    if not sock.poll(5000):
        print(json.dumps({"error": "no answer to REGISTER"}))
        return 4
    mtype, meta, _, corr = recv(sock)
    if mtype == ERROR:
        print(json.dumps({"refused": meta}))
        return 3
    if mtype != WELCOME or corr != 1:
        print(json.dumps({"violation": f"expected WELCOME, got type {mtype}"}))
        return 4
    interval = meta["heartbeatIntervalMs"] / 1000
    summary = {"coordinatorID": meta["coordinatorID"], "heartbeatsSent": 0, "heartbeatsReceived": 0,
               "unknownWorkerCorrelation": unknown_worker_correlation}

    values = array.array("f", [float(i) / 4 for i in range(1000)])
    send(sock, 1, ECHO_REQUEST, {"payload": [{"dtype": "f32", "count": len(values)}]}, [values.tobytes()], corr=7)

    deadline = time.monotonic() + args.seconds
    next_beat = time.monotonic()
    while time.monotonic() < deadline:
        if time.monotonic() >= next_beat:
            send(sock, 1, HEARTBEAT)
            summary["heartbeatsSent"] += 1
            next_beat += interval
        if sock.poll(int(max(0.0, next_beat - time.monotonic()) * 1000) + 1):
            mtype, meta, payload, corr = recv(sock)
            if mtype == HEARTBEAT:
                summary["heartbeatsReceived"] += 1
            elif mtype == ECHO_REPLY:
                echoed = array.array("f")
                echoed.frombytes(payload[0])
                summary["echoOK"] = corr == 7 and meta["payload"] == [{"count": 1000, "dtype": "f32"}] and echoed == values
            elif mtype == ERROR and meta["code"] == "unknown_worker":
                send(sock, 1, REGISTER, registration)
            else:
                summary.setdefault("other", []).append(mtype)
    send(sock, 1, DEREGISTER, {"reason": "python worker done"})
    sock.close()
    ctx.term()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
