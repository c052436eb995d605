#!/usr/bin/env python3
"""A job API client written from docs/PROTOCOL.md §6.3 alone (pyzmq).

Submits one training job with JOB_SUBMIT — every required field of the spec spelled out, as the
document's table lists them — waits for it with JOB_SHOW, and prints the final job as one JSON
line. Before that it checks two things the document promises: a spec missing a required field is
refused with `malformed_message` naming the field, and every reply copies the request's
correlation id.

    python_job_client.py --connect tcp://127.0.0.1:5555 --data /path/churn.csv --label churned \
        --workers 1 [--model gbdt|linear] [--objective multi:softprob] [--trees 10] [--seed 0]

Exit codes: 0 the job succeeded, 1 it did not, 4 the coordinator broke a promise of the document.
"""
import argparse
import itertools
import json
import struct
import sys
import time

import zmq

HEADER = struct.Struct("<4sHHIIQQ")
ERROR, JOB_SUBMIT, JOB_SUBMIT_REPLY, JOB_SHOW, JOB_SHOW_REPLY = 0x0005, 0x0301, 0x0302, 0x0305, 0x0306
correlations = itertools.count(1000)


def ask(sock, mtype, meta):
    """Sends a request and returns (type, metadata) of its reply, checking the correlation id."""
    corr = next(correlations)
    sock.send_multipart([HEADER.pack(b"TYRD", 1, mtype, 0, 1, 0, corr), json.dumps(meta).encode()])
    if not sock.poll(20000):
        fail(f"no reply to type 0x{mtype:04x}")
    frames = sock.recv_multipart()
    _magic, _version, reply_type, _flags, _count, _job, reply_corr = HEADER.unpack(frames[0])
    if reply_corr != corr:
        fail(f"the reply to type 0x{mtype:04x} carries correlation id {reply_corr}, not {corr}")
    return reply_type, json.loads(frames[1] or b"{}")


def fail(reason):
    print(json.dumps({"violation": reason}))
    sys.exit(4)


def spec(args):
    """A spec with every required field (§6.3), the values `trainyard train`'s defaults."""
    objective = {"name": "binary:logistic"}   # required inside gbdt and linear; spec.objective decides
    result = {
        "data": {"path": args.data, "categorical": [], "text": [], "numeric": [], "skipBadRows": False},
        "label": args.label,
        "model": args.model,
        "maxOneHot": 16,
        "textBuckets": 256,
        "gbdt": {"objective": objective, "trees": args.trees, "maxDepth": 6, "eta": 0.3, "lambda": 1.0,
                 "alpha": 0.0, "gamma": 0.0, "minChildWeight": 1.0, "subsample": args.subsample,
                 "colsampleByTree": 1.0, "maxBin": 256, "seed": args.seed, "threads": 0},
        "linear": {"objective": objective, "lambda": 1.0, "maxIterations": 500, "tolerance": 1e-6, "threads": 0},
    }
    if args.objective:
        result["objective"] = args.objective
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connect", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--model", default="gbdt")
    parser.add_argument("--objective")
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--subsample", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(args.connect)

    incomplete = spec(args)
    del incomplete["gbdt"]["objective"]
    reply_type, reply = ask(sock, JOB_SUBMIT, {"spec": incomplete, "workers": args.workers})
    if reply_type != ERROR or reply.get("code") != "malformed_message" or "spec.gbdt.objective" not in reply.get("message", ""):
        fail(f"a spec without spec.gbdt.objective was answered {reply_type:#06x} {reply}")

    reply_type, reply = ask(sock, JOB_SUBMIT, {"spec": spec(args), "workers": args.workers})
    if reply_type != JOB_SUBMIT_REPLY:
        fail(f"JOB_SUBMIT refused: {reply}")
    job_id = reply["job"]["id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        reply_type, reply = ask(sock, JOB_SHOW, {"id": job_id})
        if reply_type != JOB_SHOW_REPLY:
            fail(f"JOB_SHOW refused: {reply}")
        if reply["job"]["state"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.1)
    print(json.dumps(reply["job"]))
    sock.close()
    ctx.term()
    return 0 if reply["job"]["state"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
