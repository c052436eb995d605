#!/usr/bin/env python3
"""Plays the coordinator's side of docs/PROTOCOL.md §6.2 against a real worker, and checks every
reply against what the document says it must be — computed by python_training_worker.py's
implementation of §6.2.3 — bit for bit.

    python_coordinator_probe.py --bind tcp://127.0.0.1:5555

Start a worker connecting there (`trainyard worker --connect …`). The probe welcomes it, ships a
small dense shard with missing values, and checks: the SHARD_ACKs; the SKETCH_REPLY; histograms of
a sampled tree (`binary:logistic`, a seed above 2^53) and of a `reg:squarederror` tree; the
interleaved SPLIT_REPLY counts and left histograms; margins after TREE_FINISH (through the next
tree's histogram); that every reply copies the request's job id and correlation id; and that
requests the document says a worker refuses get an ERROR, not a crash: more than 255 cuts,
a `reg:squarederror` tree without its GRADIENT_REQUEST, exponents that overflow 32 bits. Prints
one JSON line {"checks": n, "failures": [...]}; exit code 0 when there are none.
"""
import argparse
import hashlib
import itertools
import json
import os
import sys
import time

import numpy as np
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_training_worker as doc  # noqa: E402  (the document's arithmetic, written once)

failures, checks = [], 0
correlations = itertools.count(1 << 40)


def check(condition, what):
    global checks
    checks += 1
    if not condition:
        failures.append(what)
    return condition


class Peer:
    """The worker as seen from a ROUTER socket."""

    def __init__(self, sock, routing_id):
        self.sock, self.routing_id = sock, routing_id

    def request(self, mtype, meta, payload=(), job=7):
        """Sends one request and returns the reply (type, metadata, payload arrays)."""
        corr = next(correlations)
        self.sock.send_multipart([self.routing_id] + doc.encode(mtype, meta, list(payload), job=job, corr=corr))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not self.sock.poll(int((deadline - time.monotonic()) * 1000) + 1):
                break
            frames = self.sock.recv_multipart()[1:]
            reply_type, reply_job, reply_corr, reply_meta, arrays = doc.decode(frames)
            if reply_type in (doc.HEARTBEAT,):
                continue
            check(reply_corr == corr and reply_job == job,
                  f"reply to {doc.NAMES[mtype]} carries job {reply_job}, correlation {reply_corr}; expected {job}, {corr}")
            return reply_type, reply_meta, arrays
        check(False, f"no reply to {doc.NAMES[mtype]} (did the worker crash?)")
        raise SystemExit(report())

    def expect_error(self, mtype, meta, payload=(), job=7, code="unexpected_message"):
        reply_type, reply_meta, _ = self.request(mtype, meta, payload, job=job)
        check(reply_type == doc.ERROR and reply_meta.get("code") == code,
              f"{doc.NAMES[mtype]} {str(meta)[:80]} was answered {doc.NAMES.get(reply_type)} {reply_meta}, not ERROR {code}")


def report():
    print(json.dumps({"checks": checks, "failures": failures}))
    return 0 if not failures else 1


def ship(peer, rows, job, index=0):
    """SHARD_BEGIN, SHARD_CHUNKs of 1000 bytes, SHARD_END."""
    data = rows["labels"].astype("<f4").tobytes() + rows["values"].astype("<f4").tobytes()
    chunk_bytes = 1000
    chunks = -(-len(data) // chunk_bytes)
    descriptor = {"index": index, "firstRow": rows["firstRow"], "rows": len(rows["labels"]), "totalRows": rows["totalRows"],
                  "columns": rows["values"].shape[1], "layout": "dense-f32"}
    reply = peer.request(doc.SHARD_BEGIN, {"shard": descriptor, "bytes": len(data), "chunks": chunks,
                                           "chunkBytes": chunk_bytes, "sha256": hashlib.sha256(data).hexdigest()}, job=job)
    check(reply[:2] == (doc.SHARD_ACK, {"shard": index, "chunk": -1}), f"SHARD_BEGIN answered {reply[:2]}")
    for k in range(chunks):
        piece = data[k * chunk_bytes:(k + 1) * chunk_bytes]
        reply = peer.request(doc.SHARD_CHUNK, {"shard": index, "chunk": k, "sha256": hashlib.sha256(piece).hexdigest()},
                             [("u8", np.frombuffer(piece, dtype=np.uint8))], job=job)
        check(reply[:2] == (doc.SHARD_ACK, {"shard": index, "chunk": k}), f"SHARD_CHUNK {k} answered {reply[:2]}")
    reply = peer.request(doc.SHARD_END, {"shard": index}, job=job)
    check(reply[:2] == (doc.SHARD_ACK, {"shard": index, "chunk": chunks}), f"SHARD_END answered {reply[:2]}")
    return doc.Rows(descriptor, data)


def cuts_for(values, count):
    """Some strictly ascending cuts per feature (any will do: the worker bins with what it gets)."""
    cuts = []
    for f in range(values.shape[1]):
        column = np.unique(values[:, f][~np.isnan(values[:, f])])
        picks = column[np.linspace(1, len(column) - 1, num=min(count, len(column) - 1)).astype(int)]
        cuts.append(np.unique(picks).astype(np.float32))
    return cuts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", required=True)
    args = parser.parse_args()
    ctx = zmq.Context()
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(args.bind)
    if not sock.poll(20000):
        check(False, "no worker registered")
        return report()
    routing_id, *frames = sock.recv_multipart()
    mtype, _job, corr, meta, _ = doc.decode(frames)
    check(mtype == doc.REGISTER, f"first message is {doc.NAMES.get(mtype)}, not REGISTER")
    # A long liveness: the probe does not heartbeat while it checks.
    sock.send_multipart([routing_id] + doc.encode(doc.WELCOME, {"coordinatorID": "probe", "heartbeatIntervalMs": 1000,
                                                                "heartbeatLiveness": 30}, corr=corr))
    peer = Peer(sock, routing_id)

    rng = np.random.default_rng(20)
    n, columns = 600, 4
    values = rng.normal(size=(n, columns)).astype(np.float32) * np.float32(3)
    values[rng.random((n, columns)) < 0.1] = np.nan
    labels = (rng.random(n) < 0.4).astype(np.float32)
    # The shard holds global rows 100..<700 of 1000 rows: sampling and sketches depend on firstRow.
    rows_spec = {"labels": labels, "values": values, "firstRow": 100, "totalRows": 1000}

    # --- binary:logistic, job 7 ---
    rows = ship(peer, rows_spec, job=7)
    reply_type, _, arrays = peer.request(doc.SKETCH_REQUEST, {"shard": 0})
    expected = doc.feature_arrays(doc.sketch(rows))
    check(reply_type == doc.SKETCH_REPLY and len(arrays) == 2 and all(
        a.tobytes() == e.astype(a.dtype).tobytes() for a, (_, e) in zip(arrays, expected)), "SKETCH_REPLY differs from §6.2.1")

    too_many = [np.arange(256, dtype=np.float32)] + [np.arange(3, dtype=np.float32)] * (columns - 1)
    peer.expect_error(doc.BIN_CUTS, {"shard": 0, "objective": {"name": "binary:logistic"}, "baseMargin": 0.1},
                      doc.feature_arrays(too_many))

    cuts = cuts_for(values, 40)
    base_margin = doc.f32("-0.4054651")
    reply_type, _, _ = peer.request(doc.BIN_CUTS, {"shard": 0, "objective": {"name": "binary:logistic"},
                                                   "baseMargin": doc.json_f32(base_margin)}, doc.feature_arrays(cuts))
    check(reply_type == doc.JOB_ACCEPT, "BIN_CUTS not accepted")
    mine = doc.BoostingShard(rows, cuts, {"name": "binary:logistic"}, base_margin)

    start = {"group": 0, "scale": {"gradientExponent": 29, "hessianExponent": 31}, "subsample": 0.7,
             "seed": (1 << 64) - 59}
    compare_histograms(peer, mine, start, "binary:logistic root")
    splits = [{"node": 0, "feature": 1, "bin": 17, "defaultLeft": True, "left": 1, "right": 2}]
    compare_split(peer, mine, splits, True, "level 1")
    splits = [{"node": 1, "feature": 0, "bin": 5, "defaultLeft": False, "left": 3, "right": 4},
              {"node": 2, "feature": 3, "bin": 30, "defaultLeft": True, "left": 5, "right": 6}]
    compare_split(peer, mine, splits, False, "level 2, last")
    tree = doc.Tree()
    for node, parent in enumerate([-1, 0, 0, 1, 1, 2, 2]):
        tree.add_leaf(parent, doc.F32(0), doc.F32(0.01 * node - 0.03), doc.F32(1))
    for node, split in [(0, {"feature": 1, "bin": 17, "defaultLeft": True, "left": 1, "right": 2}),
                        (1, {"feature": 0, "bin": 5, "defaultLeft": False, "left": 3, "right": 4}),
                        (2, {"feature": 3, "bin": 30, "defaultLeft": True, "left": 5, "right": 6})]:
        tree.left[node], tree.right[node], tree.feature[node] = split["left"], split["right"], split["feature"]
        tree.splitBin[node], tree.defaultLeft[node], tree.value[node] = split["bin"], split["defaultLeft"], doc.F32(0)
        tree.threshold[node] = cuts[split["feature"]][split["bin"]]
    leaves = [{"node": node, "value": doc.json_f32(tree.value[node])} for node in (3, 4, 5, 6)]
    finish = {"shard": 0, "group": 0, "leaves": leaves, "tree": tree.to_json()}
    reply_type, _, _ = peer.request(doc.TREE_FINISH, finish)
    check(reply_type == doc.JOB_ACCEPT, "TREE_FINISH not accepted")
    mine.finish_tree(doc.Tree.from_json(json.loads(json.dumps(tree.to_json())), columns), 0, leaves)
    # The next tree's root histogram shows the margins: every row's gradient depends on its margin.
    compare_histograms(peer, mine, dict(start, seed=12345), "after TREE_FINISH")

    # --- reg:squarederror, job 8 ---
    ship(peer, rows_spec, job=8)
    regression = {"name": "reg:squarederror"}
    reply_type, _, _ = peer.request(doc.BIN_CUTS, {"shard": 0, "objective": regression, "baseMargin": 0.5},
                                    doc.feature_arrays(cuts), job=8)
    check(reply_type == doc.JOB_ACCEPT, "BIN_CUTS (regression) not accepted")
    mine = doc.BoostingShard(rows, cuts, regression, doc.F32(0.5))
    peer.expect_error(doc.HISTOGRAM_REQUEST, {"shard": 0, "start": dict(start, subsample=1)}, job=8)
    reply_type, reply_meta, _ = peer.request(doc.GRADIENT_REQUEST, {"shard": 0, "group": 0}, job=8)
    g, h = mine.gradient_maxima(0)
    check(reply_type == doc.GRADIENT_REPLY and doc.f32(reply_meta["gradient"]) == doc.F32(g)
          and doc.f32(reply_meta["hessian"]) == doc.F32(h), f"GRADIENT_REPLY {reply_meta}, expected {g}, {h}")
    huge = {"group": 0, "scale": {"gradientExponent": 40, "hessianExponent": 29}, "subsample": 1, "seed": 0}
    peer.expect_error(doc.HISTOGRAM_REQUEST, {"shard": 0, "start": huge}, job=8)
    peer.request(doc.GRADIENT_REQUEST, {"shard": 0, "group": 0}, job=8)
    scale = {"gradientExponent": 29 - int(np.ceil(np.log2(g))), "hessianExponent": 29}
    compare_histograms(peer, mine, {"group": 0, "scale": scale, "subsample": 1, "seed": 0}, "reg:squarederror root", job=8)

    for job in (7, 8):
        sock.send_multipart([routing_id] + doc.encode(doc.JOB_ABORT, {"reason": "probe done"}, job=job))
    peer.expect_error(doc.SKETCH_REQUEST, {"shard": 0}, job=7, code="unknown_shard")
    sock.close()
    ctx.term()
    return report()


def compare_histograms(peer, mine, start, what, job=7):
    reply_type, _, arrays = peer.request(doc.HISTOGRAM_REQUEST, {"shard": 0, "start": start}, job=job)
    if mine.objective["name"] == "reg:squarederror" and mine.floats is None:
        mine.gradient_maxima(start["group"])
    expected = mine.begin_tree(start)
    check(reply_type == doc.HISTOGRAM_REPLY and len(arrays) == 1 and np.array_equal(arrays[0], expected),
          f"{what}: HISTOGRAM_REPLY differs from §6.2.3")


def compare_split(peer, mine, splits, histograms, what):
    meta = {"shard": 0, "splits": splits}
    if histograms:
        meta["histograms"] = True
    reply_type, _, arrays = peer.request(doc.SPLIT_DECISION, meta)
    counts = mine.apply_splits(splits)
    ok = reply_type == doc.SPLIT_REPLY and np.array_equal(arrays[0], np.array(counts))
    if histograms:
        lefts = np.concatenate([mine.histogram(split["left"]) for split in splits])
        ok = ok and len(arrays) == 2 and np.array_equal(arrays[1], lefts)
    check(ok, f"{what}: SPLIT_REPLY differs from §6.2.1 (counts {arrays[0].tolist() if arrays else None}, expected {counts})")


if __name__ == "__main__":
    sys.exit(main())
