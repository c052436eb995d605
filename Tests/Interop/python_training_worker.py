#!/usr/bin/env python3
"""A Trainyard worker that trains, written from docs/PROTOCOL.md alone (pyzmq and numpy).

It registers and heartbeats (§8), receives shards, and answers every training request of
§6.2: sketches, bin cuts, gradients, histograms, splits, tree finishes, checkpoints, whole
trees (TREE_GROW) and linear-model statistics. Its models are bit-identical to
`trainyard train` on the same machine because it does the arithmetic of §6.2.3 to the bit:
float32 numpy arithmetic, the C library's `expf` through ctypes, exact int64 histogram
sums, and float64 sums over rows taken one after another.

    python_training_worker.py --connect tcp://127.0.0.1:5555 --id py-1 [--per-level-only]

`--per-level-only` answers TREE_GROW with `unsupported_message`, as a minimal worker would,
so the coordinator drives even a one-worker job level by level. The worker runs until
SIGTERM or SIGINT, then deregisters and prints one JSON line: the requests it answered by
type name, and the errors it sent. Exit codes: 0 ok, 3 refused by the coordinator.
"""
import argparse
import ctypes
import ctypes.util
import hashlib
import json
import math
import os
import queue
import signal
import socket
import struct
import sys
import threading
import time
from decimal import Decimal

import numpy as np
import zmq

# ---------------------------------------------------------------------------------------
# §2–§5: frames, header, metadata, payload
# ---------------------------------------------------------------------------------------

HEADER = struct.Struct("<4sHHIIQQ")  # magic, version, type, flags, frame count, job id, correlation id

REGISTER, WELCOME, HEARTBEAT, DEREGISTER, ERROR = 0x0001, 0x0002, 0x0003, 0x0004, 0x0005
SHARD_BEGIN, SHARD_CHUNK, SHARD_ACK, SHARD_END = 0x0101, 0x0102, 0x0103, 0x0104
JOB_ACCEPT, JOB_ABORT, SKETCH_REQUEST, SKETCH_REPLY = 0x0202, 0x0203, 0x0204, 0x0205
BIN_CUTS, HISTOGRAM_REQUEST, HISTOGRAM_REPLY, SPLIT_DECISION = 0x0206, 0x0207, 0x0208, 0x0209
GRADIENT_REQUEST, GRADIENT_REPLY, TREE_FINISH, SPLIT_REPLY = 0x020A, 0x020B, 0x020C, 0x020D
CHECKPOINT, TREE_GROW, TREE_GROWN = 0x020E, 0x020F, 0x0210

NAMES = {value: name for name, value in globals().items() if isinstance(value, int) and name.isupper() and 0 < value < 0x0300}

DTYPES = {"u8": "<u1", "u16": "<u2", "u32": "<u4", "i32": "<i4", "u64": "<u8", "i64": "<i8", "f32": "<f4", "f64": "<f8"}


def encode(mtype, meta=None, payload=(), job=0, corr=0):
    """Frames of one message; `payload` is a list of (dtype name, numpy array)."""
    meta = dict(meta or {})
    if payload:
        meta["payload"] = [{"dtype": dtype, "count": int(array.size)} for dtype, array in payload]
    frames = [json.dumps(meta, separators=(",", ":")).encode()]
    frames += [np.ascontiguousarray(array, dtype=DTYPES[dtype]).tobytes() for dtype, array in payload]
    return [HEADER.pack(b"TYRD", 1, mtype, 0, len(frames), job, corr)] + frames


def decode(frames):
    """(type, job id, correlation id, metadata, payload arrays) of a received message.

    JSON numbers with a fraction or exponent are kept as Decimal, so that each field can be
    read at the width §6.2.1 gives it (§4, "Numbers"): f32(x) or f64(x) below. Integers stay
    exact Python ints (a tree's `start.seed` is a full unsigned 64-bit integer)."""
    magic, version, mtype, _flags, count, job, corr = HEADER.unpack(frames[0])
    if magic != b"TYRD" or version != 1 or count != len(frames) - 1:
        raise Refusal("malformed_message", "bad header")
    meta = json.loads(frames[1] or b"{}", parse_float=Decimal)
    descriptors = meta.get("payload", [])
    if len(descriptors) != len(frames) - 2:
        raise Refusal("malformed_message", "payload descriptors do not match the frames")
    arrays = []
    for descriptor, frame in zip(descriptors, frames[2:]):
        dtype = np.dtype(DTYPES[descriptor["dtype"]])
        if len(frame) != descriptor["count"] * dtype.itemsize:
            raise Refusal("malformed_message", "payload frame length differs from its descriptor")
        arrays.append(np.frombuffer(frame, dtype=dtype))
    return mtype, job, corr, meta, arrays


class Refusal(Exception):
    """A request this worker cannot serve: answered with ERROR {code, message} (§7)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


# ---------------------------------------------------------------------------------------
# §6.2.3: exact arithmetic
# ---------------------------------------------------------------------------------------

_libm = ctypes.CDLL(ctypes.util.find_library("m"))
_libm.expf.restype, _libm.expf.argtypes = ctypes.c_float, [ctypes.c_float]
_libc = ctypes.CDLL(ctypes.util.find_library("c"))
_libc.strtof.restype, _libc.strtof.argtypes = ctypes.c_float, [ctypes.c_char_p, ctypes.c_void_p]
_expf_elementwise = np.frompyfunc(_libm.expf, 1, 1)

F32 = np.float32


def f32(number):
    """A JSON number read as binary32: the decimal rounded once, straight to float32 (strtof)."""
    return F32(_libc.strtof(str(number).encode(), None))


def f64(number):
    """A JSON number read as binary64."""
    return float(number)


def expf(x):
    """The C library's expf, element by element (numpy's own float32 exp differs in the last bit)."""
    x = np.asarray(x, dtype=np.float32)
    return _expf_elementwise(x.astype(np.float64)).astype(np.float32).reshape(x.shape)


def c_exp(x):
    """C's exp(double): +inf on overflow (Python's math.exp raises instead)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def json_f32(value):
    """A float32 as a JSON number that reads back as exactly that float32."""
    return float(F32(value))


def gradients(objective, margins, labels, group):
    """Per-row (g, h) in float32 for output group `group` (§6.2.3, "Gradients")."""
    one = F32(1)
    name = objective["name"]
    if name == "binary:logistic":
        p = one / (one + expf(-margins[:, 0]))
        return p - labels, np.maximum(p * (one - p), F32(1e-16))
    if name == "reg:squarederror":
        return margins[:, 0] - labels, np.ones_like(labels)
    # multi:softprob: softmax over the row's margins, its sum taken in class order.
    top = margins.max(axis=1)
    total = np.zeros_like(top)
    for k in range(margins.shape[1]):
        total = total + expf(margins[:, k] - top)
    p = expf(margins[:, group] - top) / total
    y = (labels.astype(np.int64) == group).astype(np.float32)
    return p - y, np.maximum((F32(2) * p) * (one - p), F32(1e-16))


def power_of_two(exponent):
    """2^exponent in binary64: +inf above its range, 0 below."""
    try:
        return math.ldexp(1.0, exponent)
    except OverflowError:
        return math.inf


def splitmix64(seed, first, count):
    """Draws `first + 1 … first + count` of SplitMix64 seeded with `seed` (§6.2.3, "Row sampling"):
    draw n mixes the state seed + n·0x9E3779B97F4A7C15 (mod 2^64)."""
    n = np.arange(first + 1, first + count + 1, dtype=np.uint64)
    z = np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15) * n
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


# ---------------------------------------------------------------------------------------
# Shards: receiving (SHARD_BEGIN, SHARD_CHUNK, SHARD_END) and the decoded rows
# ---------------------------------------------------------------------------------------

class Transfer:
    """A shard being received chunk by chunk."""

    def __init__(self, begin):
        self.descriptor = begin["shard"]
        self.bytes, self.chunks, self.chunk_bytes = begin["bytes"], begin["chunks"], begin["chunkBytes"]
        if self.chunk_bytes <= 0 or self.chunks != -(-self.bytes // self.chunk_bytes):
            raise Refusal("malformed_message", "bytes, chunks and chunkBytes disagree")
        self.sha256 = begin["sha256"]
        self.data = bytearray()
        self.next = 0

    def receive(self, chunk, sha256, frame):
        if chunk < self.next:
            return  # a resent chunk that already arrived
        if chunk != self.next:
            raise Refusal("malformed_message", f"expected chunk {self.next}, got {chunk}")
        if len(frame) != min(self.chunk_bytes, self.bytes - len(self.data)):
            raise Refusal("malformed_message", f"chunk {chunk} has the wrong length")
        if hashlib.sha256(frame).hexdigest() != sha256:
            raise Refusal("checksum_mismatch", f"chunk {chunk} does not match its sha256")
        self.data += frame
        self.next += 1

    def finish(self):
        if self.next != self.chunks:
            raise Refusal("malformed_message", f"SHARD_END after {self.next} of {self.chunks} chunks")
        if hashlib.sha256(self.data).hexdigest() != self.sha256:
            raise Refusal("checksum_mismatch", "the shard does not match its sha256")
        return Rows(self.descriptor, bytes(self.data))


class Rows:
    """A shard's decoded rows: labels, and dense values or CSR arrays (§6.2.1, "Shard bytes")."""

    def __init__(self, descriptor, data):
        self.first_row, self.total_rows = descriptor["firstRow"], descriptor["totalRows"]
        rows, columns, self.layout = descriptor["rows"], descriptor["columns"], descriptor["layout"]
        self.rows, self.columns = rows, columns
        offset = 0

        def take(dtype, count):
            nonlocal offset
            array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
            offset += array.nbytes
            return array

        try:
            self.labels = take("<f4", rows)
            if self.layout == "dense-f32":
                self.values = take("<f4", rows * columns).reshape(rows, columns)
            elif self.layout == "csr-f32":
                self.starts = take("<i8", rows + 1)
                nnz = int(self.starts[-1])
                self.indices, self.values = take("<i4", nnz), take("<f4", nnz)
            else:
                raise Refusal("malformed_message", f"unknown layout {self.layout}")
        except ValueError:
            raise Refusal("malformed_message", "the shard's bytes are too short for its rows") from None
        if offset != len(data):
            raise Refusal("malformed_message", "bytes left over after the rows")

    def row(self, r):
        """(column indices, values) of row r: every column of a dense row, the non-zeros of a CSR row."""
        if self.layout == "dense-f32":
            return range(self.columns), self.values[r].tolist()
        start, end = int(self.starts[r]), int(self.starts[r + 1])
        return self.indices[start:end].tolist(), self.values[start:end].tolist()


def sketch(rows):
    """SKETCH_REPLY samples: per feature, the non-missing values of the sampled global rows."""
    stride = max(1, -(-rows.total_rows // (1 << 18)))
    first = (stride - rows.first_row % stride) % stride
    samples = []
    for feature in range(rows.columns):
        column = rows.values[first::stride, feature]
        samples.append(column[~np.isnan(column)])
    return samples


# ---------------------------------------------------------------------------------------
# Boosting on one shard: bins, margins, gradients, histograms, partitions
# ---------------------------------------------------------------------------------------

class Tree:
    """A tree as the wire carries it: parallel arrays indexed by node, root 0 (§6.2.5, "Tree objects")."""

    FIELDS = ("left", "right", "parent", "feature", "threshold", "splitBin", "defaultLeft", "value",
              "baseWeight", "lossChange", "sumHessian")

    def __init__(self, arrays=None):
        for name in self.FIELDS:
            setattr(self, name, list((arrays or {}).get(name, [])))

    @classmethod
    def from_json(cls, tree, features):
        arrays = {name: tree[name] for name in cls.FIELDS}
        arrays["value"] = [f32(v) for v in tree["value"]]
        result = cls(arrays)
        n = len(result.left)
        if n == 0 or any(len(getattr(result, name)) != n for name in cls.FIELDS):
            raise Refusal("unexpected_message", "tree arrays are empty or of different lengths")
        for node in range(n):
            if result.left[node] >= 0 and not (node < result.left[node] < n and node < result.right[node] < n
                                               and 0 <= result.feature[node] < features):
                raise Refusal("unexpected_message", f"tree node {node} has invalid children or feature")
        return result

    def to_json(self):
        return {name: [json_f32(v) if name in ("threshold", "value", "baseWeight", "lossChange", "sumHessian") else v
                       for v in getattr(self, name)] for name in self.FIELDS}

    def add_leaf(self, parent, base_weight, value, sum_hessian):
        self.left.append(-1), self.right.append(-1), self.parent.append(parent)
        self.feature.append(0), self.threshold.append(0.0), self.splitBin.append(0), self.defaultLeft.append(False)
        self.value.append(value), self.baseWeight.append(base_weight), self.lossChange.append(F32(0))
        self.sumHessian.append(sum_hessian)
        return len(self.left) - 1


class BoostingShard:
    """A shard after BIN_CUTS: its rows as bins, its margins, and the tree being grown."""

    def __init__(self, rows, cuts, objective, base_margin):
        self.first_row, self.total_rows, self.labels = rows.first_row, rows.total_rows, rows.labels
        self.objective = objective
        self.groups = objective.get("numClass", 1) if objective["name"] == "multi:softprob" else 1
        self.cuts = cuts
        self.counts = np.array([len(c) for c in cuts], dtype=np.int64)       # c_f
        self.offsets = np.concatenate([[0], np.cumsum(self.counts + 1)[:-1]]).astype(np.int64)
        self.total_slots = int((self.counts + 1).sum())
        self.features = len(cuts)
        # A value's bin is the index of the first cut greater than it, at most c_f − 1; missing is c_f.
        self.bins = np.empty((rows.rows, self.features), dtype=np.int64)
        for f, bounds in enumerate(cuts):
            column = rows.values[:, f]
            bins = np.minimum(np.searchsorted(bounds, column, side="right"), max(len(bounds) - 1, 0))
            self.bins[:, f] = np.where(np.isnan(column), len(bounds), bins)
        self.slots = self.bins + self.offsets                                  # histogram slot per value
        self.base_margin = base_margin
        self.margins = np.full((rows.rows, self.groups), base_margin, dtype=np.float32)
        self.floats = None      # (g, h) of the last GRADIENT_REQUEST (objectives without bounds)
        self.quantised = None   # int64 (rows, 2): this tree's fixed-point (g, h)
        self.node = None        # this tree's node of every row, −1 for rows outside its sample
        self.open = set()       # nodes whose split may come next (SPLIT_DECISION with histograms)

    @property
    def rows(self):
        return len(self.labels)

    def check_group(self, group):
        if not 0 <= group < self.groups:
            raise Refusal("unexpected_message", f"output group {group} of an objective with {self.groups}")

    def gradient_maxima(self, group):
        self.check_group(group)
        g, h = gradients(self.objective, self.margins, self.labels, group)
        self.floats = (g, h)
        return (float(np.abs(g).max()) if self.rows else 0.0), (float(h.max()) if self.rows else 0.0)

    def begin_tree(self, start):
        """HISTOGRAM_REQUEST {start}: quantise, draw the row sample, return the root histogram."""
        group = start["group"]
        self.check_group(group)
        if self.objective["name"] == "reg:squarederror":
            if self.floats is None:
                raise Refusal("unexpected_message", "reg:squarederror needs GRADIENT_REQUEST before each tree")
            g, h = self.floats
            bounds = (float(np.abs(g).max(initial=0)), float(h.max(initial=0)))
        else:
            g, h = gradients(self.objective, self.margins, self.labels, group)
            bounds = (1.0, 0.25 if self.objective["name"] == "binary:logistic" else 0.5)
        scales = [power_of_two(start["scale"]["gradientExponent"]), power_of_two(start["scale"]["hessianExponent"])]
        if not all(bound * scale < 2.0 ** 31 for bound, scale in zip(bounds, scales)):   # NaN (0 × ∞) fails too
            raise Refusal("unexpected_message", "the exponents put fixed-point gradients beyond 32 bits")
        self.floats = None
        # Scaling by 2^e is exact; truncation toward zero.
        qg = np.trunc(g.astype(np.float64) * scales[0]).astype(np.int64)
        qh = np.trunc(h.astype(np.float64) * scales[1]).astype(np.int64)
        self.quantised = np.stack([qg, qh], axis=1)
        subsample = f64(start["subsample"])
        if subsample < 1:
            draws = splitmix64(int(start["seed"]), self.first_row, self.rows)
            sampled = (draws >> np.uint64(11)).astype(np.float64) / 2.0 ** 53 < subsample
        else:
            sampled = np.ones(self.rows, dtype=bool)
        self.node = np.where(sampled, 0, -1)
        self.open = {0}
        return self.histogram(0)

    def histogram(self, node):
        """The int64 histogram of `node`'s rows: slot s of the layout holds (Σg, Σh) at [2s], [2s+1]."""
        rows = np.flatnonzero(self.node == node)
        histogram = np.zeros(2 * self.total_slots, dtype=np.int64)
        slots = self.slots[rows].ravel()                   # row by row, feature by feature
        np.add.at(histogram, 2 * slots, np.repeat(self.quantised[rows, 0], self.features))
        np.add.at(histogram, 2 * slots + 1, np.repeat(self.quantised[rows, 1], self.features))
        return histogram

    def check_splits(self, splits, histograms):
        if self.node is None:
            raise Refusal("unexpected_message", "no tree has been started")
        used = set()
        for split in splits:
            node, left, right = split["node"], split["left"], split["right"]
            if histograms and node not in self.open:
                raise Refusal("unexpected_message", f"split of node {node}, which is not open")
            if not 0 <= split["feature"] < self.features:
                raise Refusal("unexpected_message", f"split on feature {split['feature']} of {self.features}")
            if not (node < left < 1 << 20 and node < right < 1 << 20) or {node, left, right} & used \
                    or len({node, left, right}) != 3 or (self.node == left).any() or (self.node == right).any():
                raise Refusal("unexpected_message", f"split of node {node} into invalid children")
            used |= {node, left, right}

    def apply_splits(self, splits):
        """Moves each split node's rows to its children; returns (left, right) row counts per split."""
        counts = []
        for split in splits:
            rows = np.flatnonzero(self.node == split["node"])
            f = split["feature"]
            bins = self.bins[rows, f]
            goes_left = np.where(bins == self.counts[f], split["defaultLeft"], bins <= split["bin"])
            self.node[rows[goes_left]] = split["left"]
            self.node[rows[~goes_left]] = split["right"]
            counts += [int(goes_left.sum()), int((~goes_left).sum())]
        self.open = {s["left"] for s in splits} | {s["right"] for s in splits}
        return counts

    def route(self, tree, rows):
        """Each row's leaf value, walking `tree` by bins (a missing bin goes the default way)."""
        left, right = np.array(tree.left), np.array(tree.right)
        feature, split_bin = np.array(tree.feature), np.array(tree.splitBin)
        default_left, value = np.array(tree.defaultLeft, dtype=bool), np.array(tree.value, dtype=np.float32)
        node = np.zeros(len(rows), dtype=np.int64)
        while (inner := left[node] >= 0).any():
            n, f = node[inner], feature[node[inner]]
            bins = self.bins[rows[inner], f]
            goes_left = np.where(bins == self.counts[f], default_left[n], bins <= split_bin[n])
            node[inner] = np.where(goes_left, left[n], right[n])
        return value[node]

    def finish_tree(self, tree, group, leaves):
        """TREE_FINISH: each grown leaf's value added to its rows' margins; rows outside the
        sample get the value `tree` routes them to."""
        self.check_group(group)
        unsampled = np.flatnonzero(self.node == -1)
        if len(unsampled) and tree is None:
            raise Refusal("unexpected_message", "this tree's sample left rows out, and they need the tree")
        for leaf in leaves:
            rows = self.node == leaf["node"]
            self.margins[rows, group] += f32(leaf["value"])
        if len(unsampled):
            self.margins[unsampled, group] += self.route(tree, unsampled)
        self.open = set()

    def replay(self, trees, groups):
        """CHECKPOINT: margins = base margin, then every tree in order."""
        self.margins[:] = self.base_margin
        everyone = np.arange(self.rows)
        for tree, group in zip(trees, groups):
            self.check_group(group)
            self.margins[:, group] += self.route(tree, everyone)


# ---------------------------------------------------------------------------------------
# TREE_GROW: the split search and the tree, as the coordinator would grow them (§6.2.5)
# ---------------------------------------------------------------------------------------

def threshold_l1(g, alpha):
    return np.where(g > alpha, g - alpha, np.where(g < -alpha, g + alpha, 0.0))


def gain(g, h, p):
    t = threshold_l1(g, p["alpha"])
    return t * t / (h + p["lambda"])


def best_split(histogram, total, shard, scale, p, mask):
    """(feature, bin, missing left, (ΣgL, ΣhL), loss change) of the best split, or None."""
    gs, hs = 2.0 ** -scale["gradientExponent"], 2.0 ** -scale["hessianExponent"]
    parent = float(gain(np.float64(total[0]) * gs, np.float64(total[1]) * hs, p))
    best, best_loss = None, 1e-6
    for f in range(shard.features):
        c = int(shard.counts[f])
        if not mask[f] or c == 0:
            continue
        slots = histogram[2 * shard.offsets[f]: 2 * (shard.offsets[f] + c + 1)].reshape(c + 1, 2)
        missing = slots[c]
        left = np.cumsum(slots[:c], axis=0)                  # bins 0…b on the left, b = 0 … c_f − 1
        candidates = [left, left + missing] if missing.any() else [left]   # missing right, then left
        losses = np.full((c, 2), -np.inf)
        for direction, lefts in enumerate(candidates):
            lg, lh = lefts[:, 0] * gs, lefts[:, 1] * hs
            rg, rh = (total[0] - lefts[:, 0]) * gs, (total[1] - lefts[:, 1]) * hs
            valid = (lh > 0) & (rh > 0) & (lh >= p["minChildWeight"]) & (rh >= p["minChildWeight"])
            with np.errstate(divide="ignore", invalid="ignore"):
                loss = (gain(lg, lh, p) + gain(rg, rh, p)) - parent
            losses[:, direction] = np.where(valid, loss, -np.inf)
        k = int(np.argmax(losses))  # the first of equal losses in (bin, missing right first) order
        if losses.flat[k] > best_loss:
            b, missing_left = divmod(k, 2)
            lefts = candidates[missing_left][b]
            best, best_loss = (f, b, bool(missing_left), (int(lefts[0]), int(lefts[1]))), float(losses.flat[k])
    return None if best is None else best + (best_loss,)


def leaf_fields(total, scale, p):
    """(baseWeight, value, sumHessian) of a node with sums `total`: w = −T_α(G)/(H+λ) in f64,
    baseWeight = f32(w), value = f32(w) × f32(eta), sumHessian = f32(H)."""
    g = total[0] * 2.0 ** -scale["gradientExponent"]
    h = total[1] * 2.0 ** -scale["hessianExponent"]
    w = -float(threshold_l1(g, p["alpha"])) / (h + p["lambda"])
    return F32(w), F32(w) * F32(p["eta"]), F32(h)


def grow_tree(shard, start, p, mask):
    """TREE_GROW: grows, prunes and renumbers one tree, and adds it to the margins."""
    scale = start["scale"]
    root = shard.begin_tree(start)
    total = (int(root[0: 2 * (shard.counts[0] + 1): 2].sum()), int(root[1: 2 * (shard.counts[0] + 1): 2].sum())) \
        if shard.features else (0, 0)
    tree = Tree()
    tree.add_leaf(-1, *leaf_fields(total, scale, p))
    open_nodes, depth, last_splits = [(0, total, root)], 0, []
    while depth < p["maxDepth"] and open_nodes:
        splits, children = [], []
        for node, node_total, histogram in open_nodes:
            best = best_split(histogram, node_total, shard, scale, p, mask)
            if best is None:
                continue
            feature, b, missing_left, left_total, loss = best
            right_total = (node_total[0] - left_total[0], node_total[1] - left_total[1])
            left = tree.add_leaf(node, *leaf_fields(left_total, scale, p))
            right = tree.add_leaf(node, *leaf_fields(right_total, scale, p))
            tree.left[node], tree.right[node], tree.feature[node] = left, right, feature
            tree.threshold[node], tree.splitBin[node] = shard.cuts[feature][b], b
            tree.defaultLeft[node], tree.value[node], tree.lossChange[node] = missing_left, F32(0), F32(loss)
            splits.append({"node": node, "feature": feature, "bin": b, "defaultLeft": missing_left,
                           "left": left, "right": right})
            children += [(left, left_total), (right, right_total)]
        depth += 1
        if depth >= p["maxDepth"]:
            last_splits = splits       # children at the maximum depth are leaves: no histograms
            break
        shard.apply_splits(splits)
        open_nodes = [(node, node_total, shard.histogram(node)) for node, node_total in children]
    grown_leaves = [node for node in range(len(tree.left)) if tree.left[node] < 0]
    if p["gamma"] > 0:
        prune(tree, F32(p["gamma"]), F32(p["eta"]))
    leaves = []
    for node in grown_leaves:      # the first leaf on the path from the root, after pruning
        path = [node]
        while tree.parent[path[-1]] >= 0:
            path.append(tree.parent[path[-1]])
        effective = next(n for n in reversed(path) if tree.left[n] < 0)
        leaves.append({"node": node, "value": tree.value[effective]})
    if p["gamma"] > 0:
        tree = renumbered(tree)
    shard.apply_splits(last_splits)
    shard.finish_tree(tree if f64(start["subsample"]) < 1 else None, start["group"], leaves)
    return tree


def prune(tree, gamma, eta):
    """Bottom-up, until nothing changes: a split whose children are leaves and whose f32 loss
    change is below f32(gamma) becomes a leaf again, valued f32(baseWeight) × f32(eta)."""
    changed = True
    while changed:
        changed = False
        for node in reversed(range(len(tree.left))):
            l, r = tree.left[node], tree.right[node]
            if l >= 0 and tree.left[l] < 0 and tree.left[r] < 0 and tree.lossChange[node] < gamma:
                tree.left[node] = tree.right[node] = -1
                tree.lossChange[node], tree.value[node] = F32(0), tree.baseWeight[node] * eta
                changed = True


def renumbered(tree):
    """The reachable nodes, breadth-first from the root (children in pairs, left first)."""
    result, queue_ = Tree(), [(0, -1)]
    for old, parent in queue_:
        new = result.add_leaf(parent, tree.baseWeight[old], tree.value[old], tree.sumHessian[old])
        if parent >= 0:
            if result.left[parent] == -1:
                result.left[parent] = new
            else:
                result.right[parent] = new
        if tree.left[old] >= 0:
            for name in ("feature", "threshold", "splitBin", "defaultLeft", "lossChange"):
                getattr(result, name)[new] = getattr(tree, name)[old]
            result.value[new] = F32(0)
            queue_ += [(tree.left[old], new), (tree.right[old], new)]
    return result


def tree_parameters(parameters):
    p = {name: f64(parameters[name]) for name in ("eta", "lambda", "alpha", "gamma", "minChildWeight")}
    p["maxDepth"] = int(parameters["maxDepth"])
    if not (1 <= p["maxDepth"] <= 16 and 0 < p["eta"] <= 1 and p["lambda"] >= 0 and p["alpha"] >= 0
            and p["gamma"] >= 0 and p["minChildWeight"] >= 0):
        raise Refusal("unexpected_message", "TREE_GROW parameter out of range")
    return p


# ---------------------------------------------------------------------------------------
# Linear models: Σ loss and Σ gradient over the shard's rows (§6.2.4)
# ---------------------------------------------------------------------------------------

def linear_statistics(rows, objective, w):
    """Blocks of max(1024, columns // 8) rows, each summed in row order, added in block order."""
    size = max(1024, rows.columns // 8)
    total = None
    for start in range(0, max(rows.rows, 1), size):
        block = linear_block(rows, objective, w, range(start, min(rows.rows, start + size)))
        total = block if total is None else total + block
    return total


def linear_block(rows, objective, w, block):
    columns, bias = rows.columns, float(w[rows.columns])
    weights = w.tolist()
    logistic = objective["name"] == "binary:logistic"
    loss, gradient = 0.0, [0.0] * (columns + 1)
    labels = rows.labels.tolist()
    for r in block:                            # rows in order, each sum taken one term at a time
        indices, values = rows.row(r)
        dot = 0.0
        for j, x in zip(indices, values):
            dot += weights[j] * x
        margin, y = bias + dot, labels[r]
        if logistic:
            softplus = margin + math.log1p(c_exp(-margin)) if margin > 0 else math.log1p(c_exp(margin))
            loss += softplus - y * margin
            residual = 1 / (1 + c_exp(-margin)) - y
        else:
            residual = margin - y
            loss += 0.5 * residual * residual
        for j, x in zip(indices, values):
            gradient[j] += residual * x
        gradient[columns] += residual
    return np.array([loss] + gradient, dtype=np.float64)


# ---------------------------------------------------------------------------------------
# The requests of §6.2
# ---------------------------------------------------------------------------------------

class Executor:
    """Holds shards by (job, shard index) and answers training requests in arrival order."""

    def __init__(self, grows_whole_trees):
        self.grows_whole_trees = grows_whole_trees
        self.shards = {}

    def held(self, job, shard, kind):
        value = self.shards.get((job, shard))
        if value is None:
            raise Refusal("unknown_shard", f"this worker holds no shard {shard} of job {job}")
        if not isinstance(value, kind):
            raise Refusal("unexpected_message", f"shard {shard} of job {job} is not ready for this request")
        return value

    def handle(self, mtype, job, meta, payload):
        """(reply type, metadata, payload) for one request, or None (JOB_ABORT)."""
        if mtype == JOB_ABORT:
            self.shards = {key: value for key, value in self.shards.items() if key[0] != job}
            return None
        if mtype == SHARD_BEGIN:
            index = meta["shard"]["index"]         # `shard` is an object here, an integer elsewhere
            self.shards[(job, index)] = Transfer(meta)
            return SHARD_ACK, {"shard": index, "chunk": -1}, []
        shard = meta["shard"]
        if mtype == SHARD_CHUNK:
            self.held(job, shard, Transfer).receive(meta["chunk"], meta["sha256"], payload[0].tobytes())
            return SHARD_ACK, {"shard": shard, "chunk": meta["chunk"]}, []
        if mtype == SHARD_END:
            transfer = self.held(job, shard, Transfer)
            self.shards[(job, shard)] = transfer.finish()
            return SHARD_ACK, {"shard": shard, "chunk": transfer.chunks}, []
        if mtype == SKETCH_REQUEST:
            samples = sketch(self.dense(job, shard))
            return SKETCH_REPLY, {"shard": shard}, feature_arrays(samples)
        if mtype == BIN_CUTS:
            rows = self.dense(job, shard)
            cuts = split_feature_arrays(payload)
            if len(cuts) != rows.columns or any(len(c) > 255 or (np.diff(c) <= 0).any() for c in cuts):
                raise Refusal("unexpected_message", "BIN_CUTS needs at most 255 ascending cuts per feature")
            self.shards[(job, shard)] = BoostingShard(rows, cuts, meta["objective"], f32(meta["baseMargin"]))
            return JOB_ACCEPT, {"shard": shard}, []
        if mtype == CHECKPOINT:
            boosting = self.held(job, shard, BoostingShard)
            trees = [Tree.from_json(tree, boosting.features) for tree in meta["trees"]]
            if len(trees) != len(meta["treeGroups"]):
                raise Refusal("unexpected_message", "one output group per tree")
            boosting.replay(trees, meta["treeGroups"])
            return JOB_ACCEPT, {"shard": shard}, []
        if mtype == GRADIENT_REQUEST and "objective" in meta:
            rows = self.held(job, shard, Rows)
            w = payload[0] if payload else None
            if w is None or w.dtype != np.float64 or w.size != rows.columns + 1:
                raise Refusal("unexpected_message", f"linear GRADIENT_REQUEST needs f64[{rows.columns + 1}] parameters")
            return GRADIENT_REPLY, {"shard": shard}, [("f64", linear_statistics(rows, meta["objective"], w))]
        if mtype == GRADIENT_REQUEST:
            g, h = self.held(job, shard, BoostingShard).gradient_maxima(meta["group"])
            return GRADIENT_REPLY, {"shard": shard, "gradient": json_f32(g), "hessian": json_f32(h)}, []
        if mtype == HISTOGRAM_REQUEST:
            boosting = self.held(job, shard, BoostingShard)
            if "start" in meta:
                histograms = [boosting.begin_tree(meta["start"])]
            else:
                if boosting.node is None:
                    raise Refusal("unexpected_message", "no tree has been started")
                histograms = [boosting.histogram(node) for node in meta["nodes"]]
            return HISTOGRAM_REPLY, {"shard": shard}, [("i64", np.concatenate(histograms))]
        if mtype == SPLIT_DECISION:
            boosting = self.held(job, shard, BoostingShard)
            with_histograms = meta.get("histograms", False)
            boosting.check_splits(meta["splits"], with_histograms)
            counts = boosting.apply_splits(meta["splits"])          # interleaved: left, right, left, right…
            reply = [("i64", np.array(counts, dtype=np.int64))]
            if with_histograms:
                lefts = [boosting.histogram(split["left"]) for split in meta["splits"]]
                reply.append(("i64", np.concatenate(lefts) if lefts else np.zeros(0, np.int64)))
            return SPLIT_REPLY, {"shard": shard}, reply
        if mtype == TREE_FINISH:
            boosting = self.held(job, shard, BoostingShard)
            if boosting.node is None:
                raise Refusal("unexpected_message", "no tree has been started")
            tree = Tree.from_json(meta["tree"], boosting.features) if meta.get("tree") else None
            boosting.finish_tree(tree, meta["group"], meta["leaves"])
            return JOB_ACCEPT, {"shard": shard}, []
        if mtype == TREE_GROW:
            if not self.grows_whole_trees:
                raise Refusal("unsupported_message", "this worker grows trees level by level only")
            boosting = self.held(job, shard, BoostingShard)
            p = tree_parameters(meta["parameters"])
            mask = meta.get("featureMask") or [True] * boosting.features
            if len(mask) != boosting.features:
                raise Refusal("unexpected_message", "featureMask needs one flag per feature")
            tree = grow_tree(boosting, meta["start"], p, mask)
            return TREE_GROWN, {"shard": shard, "tree": tree.to_json()}, []
        raise Refusal("unexpected_message", f"type 0x{mtype:04x} is not a request a worker answers")

    def dense(self, job, shard):
        rows = self.held(job, shard, Rows)
        if rows.layout != "dense-f32":
            raise Refusal("unexpected_message", "trees need dense rows")
        return rows


def feature_arrays(arrays):
    """One float array per feature as two frames: i64 lengths, then all f32 values back to back."""
    counts = np.array([len(a) for a in arrays], dtype=np.int64)
    values = np.concatenate(arrays).astype(np.float32) if arrays else np.zeros(0, np.float32)
    return [("i64", counts), ("f32", values)]


def split_feature_arrays(payload):
    if len(payload) != 2 or payload[0].dtype != np.int64 or payload[1].dtype != np.float32 \
            or (payload[0] < 0).any() or payload[0].sum() != payload[1].size:
        raise Refusal("unexpected_message", "BIN_CUTS needs i64 cut counts and f32 cuts that add up")
    ends = np.cumsum(payload[0])
    return [payload[1][end - count: end] for count, end in zip(payload[0], ends)]


# ---------------------------------------------------------------------------------------
# §8: membership, with training on a thread of its own
# ---------------------------------------------------------------------------------------

RESTARTED = object()   # queued when a coordinator with another id welcomes this worker


def compute_loop(ctx, work, executor, tally, verbose):
    """Answers training requests in arrival order; replies go back to the socket's thread."""
    results = ctx.socket(zmq.PAIR)
    results.connect("inproc://results")
    while (item := work.get()) is not None:
        if item is RESTARTED:
            executor.shards = {}
            continue
        mtype, job, corr, meta, payload = item
        try:
            answer = executor.handle(mtype, job, meta, payload)
        except Refusal as refusal:
            answer = ERROR, {"code": refusal.code, "message": refusal.message}, []
        except (KeyError, TypeError, ValueError) as error:
            answer = ERROR, {"code": "malformed_message", "message": f"{NAMES.get(mtype)}: {error!r}"}, []
        tally[NAMES.get(mtype, hex(mtype))] = tally.get(NAMES.get(mtype, hex(mtype)), 0) + 1
        if answer is None:
            continue
        reply_type, reply_meta, reply_payload = answer
        if reply_type == ERROR:
            tally.setdefault("errors", []).append(reply_meta)
        if verbose:
            print(f"{NAMES.get(mtype)} -> {NAMES.get(reply_type)} {str(reply_meta)[:200]}", file=sys.stderr)
        # A reply copies the request's job id and correlation id.
        results.send_multipart(encode(reply_type, reply_meta, reply_payload, job=job, corr=corr))
    results.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connect", required=True)
    parser.add_argument("--id", required=True)
    parser.add_argument("--per-level-only", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})  # a parent may have blocked them

    registration = {"workerID": args.id, "host": socket.gethostname(), "cores": 1, "memoryBytes": 1 << 30,
                    "pid": os.getpid(), "software": "python-training-worker 0.1"}
    ctx = zmq.Context()
    results = ctx.socket(zmq.PAIR)
    results.bind("inproc://results")
    work, tally = queue.Queue(), {}
    executor = Executor(grows_whole_trees=not args.per_level_only)
    compute = threading.Thread(target=compute_loop, args=(ctx, work, executor, tally, args.verbose))
    compute.start()

    interval, liveness, backoff = 1.0, 3, 1.0
    coordinator_id, exit_code = None, 0
    sock = None
    while not stopping.is_set():
        # (Re)connect and register: a fresh socket discards whatever was queued for a silent coordinator.
        if sock is not None:
            sock.close(linger=0)
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.ROUTING_ID, args.id.encode())
        sock.setsockopt(zmq.LINGER, 1000)
        sock.connect(args.connect)
        sock.send_multipart(encode(REGISTER, registration))
        registered, last_heard, next_beat = False, time.monotonic(), time.monotonic() + interval
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(results, zmq.POLLIN)
        while not stopping.is_set():
            now = time.monotonic()
            if now - last_heard > interval * liveness:
                break                                     # silent coordinator: reconnect after the back-off
            if registered and now >= next_beat:
                sock.send_multipart(encode(HEARTBEAT))
                next_beat = now + interval
            events = dict(poller.poll(timeout=max(1, int((min(next_beat, last_heard + interval * liveness) - now) * 1000))))
            if results in events:
                sock.send_multipart(results.recv_multipart())
            if sock not in events:
                continue
            try:
                mtype, job, corr, meta, payload = decode(sock.recv_multipart())
            except (Refusal, ValueError, KeyError, struct.error):
                continue                                  # a malformed message from the coordinator is ignored
            last_heard = time.monotonic()
            if mtype == WELCOME:
                if coordinator_id is not None and meta["coordinatorID"] != coordinator_id:
                    work.put(RESTARTED)                   # a new coordinator: every shard is stale
                coordinator_id, registered, backoff = meta["coordinatorID"], True, 1.0
                interval, liveness = meta["heartbeatIntervalMs"] / 1000, meta["heartbeatLiveness"]
                next_beat = last_heard + interval         # heartbeats at the coordinator's interval from now on
            elif mtype == ERROR:
                if meta["code"] == "unknown_worker":
                    registered = False
                    sock.send_multipart(encode(REGISTER, registration))
                elif meta["code"] in ("version_mismatch", "registration_refused", "limit_exceeded"):
                    print(json.dumps({"refused": meta}, default=str))
                    exit_code = 3
                    stopping.set()
            elif 0x0100 <= mtype < 0x0300:
                work.put((mtype, job, corr, meta, payload))
        if stopping.is_set():
            break
        time.sleep(backoff)
        backoff = min(backoff * 2, 32)
    if exit_code == 0 and sock is not None:
        sock.send_multipart(encode(DEREGISTER, {"reason": "python training worker stopped"}))
    work.put(None)
    compute.join()
    sock.close()
    results.close()
    ctx.term()
    print(json.dumps(tally, default=str))
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
