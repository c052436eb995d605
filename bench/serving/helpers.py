"""Helpers for bench/serving/run.sh: request bodies, wrk/loadtest parsing, the batch
prediction timings (replica, CLI, XGBoost) and the summary table.

    helpers.py bodies  MODEL CSV OUTDIR ROWS    one-row /predict body, wrk Lua script,
                                                 dataframe_split body, rows CSV, encoded matrix
    helpers.py wrk     RESULTS NAME RUN CPU_SECONDS < wrk-output
    helpers.py lt      RESULTS NAME RUN CPU_SECONDS < loadtest-json
    helpers.py batch   RESULTS RUN TRAINYARD MODEL XGB_JSON OUTDIR URL REPEATS
    helpers.py summary RESULTS
wrk, lt and batch append one JSON line per result to RESULTS and print it readably.
"""
import csv
import http.client
import json
import math
import re
import statistics
import subprocess
import sys
import time
import urllib.parse

import numpy as np


def read_model(path):
    with open(path, "rb") as f:
        header, body = f.read().split(b"\n", 1)
    assert header.startswith(b"trainyard-model "), header
    return json.loads(body)


# CSVOptions.missingTokens: what our CSV reader (and so `trainyard predict`) reads as missing.
MISSING = {"", "NA", "NaN", "nan", "N/A", "null", "NULL"}


def parse_cell(kind, cell):
    if cell in MISSING:
        return None
    if kind == "numeric":
        return float(cell)
    return cell


def encode(preprocessor, records):
    """The model's feature matrix, as Preprocessor.transform builds it (trees target)."""
    blocks = []
    for spec in preprocessor["inputs"]:
        name, (kind, args), = spec["name"], next(iter(spec["transform"].items()))
        values = [r.get(name) for r in records]
        if kind == "passthrough":
            blocks.append(np.array([math.nan if v is None else v for v in values], dtype=np.float32)[:, None])
        elif kind == "oneHot":
            levels = args["levels"]
            assert args.get("imputed") is None, "trees models impute nothing"
            block = np.zeros((len(values), len(levels)), dtype=np.float32)
            index = {level: i for i, level in enumerate(levels)}
            for r, v in enumerate(values):
                if v is not None and v in index:
                    block[r, index[v]] = 1
            blocks.append(block)
        elif kind == "ordinal":
            index = {level: i for i, level in enumerate(args["levels"])}
            blocks.append(np.array([index.get(v, math.nan) if v is not None else math.nan for v in values],
                                   dtype=np.float32)[:, None])
        elif kind == "dropped":
            continue
        else:
            raise SystemExit(f"transform {kind} is not reproduced here")
    return np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)


def encode_frame(preprocessor, frame):
    """encode() done the way a Python model server would: vectorized over a pandas DataFrame."""
    import pandas as pd
    blocks = []
    rows = len(frame)
    for spec in preprocessor["inputs"]:
        name, (kind, args), = spec["name"], next(iter(spec["transform"].items()))
        if kind == "passthrough":
            blocks.append(pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float32, na_value=np.nan)[:, None])
        elif kind in ("oneHot", "ordinal"):
            codes = pd.Categorical(frame[name], categories=args["levels"]).codes
            if kind == "ordinal":
                blocks.append(np.where(codes >= 0, codes, np.nan).astype(np.float32)[:, None])
            else:
                block = np.zeros((rows, len(args["levels"])), dtype=np.float32)
                present = codes >= 0
                block[np.nonzero(present)[0], codes[present]] = 1
                blocks.append(block)
        elif kind != "dropped":
            raise SystemExit(f"transform {kind} is not reproduced here")
    return np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)


def feature_names(preprocessor):
    """Preprocessor.featureNames: the matrix columns encode() builds, in order."""
    names = []
    for spec in preprocessor["inputs"]:
        (kind, args), = spec["transform"].items()
        if kind in ("passthrough", "standardize", "ordinal"):
            names.append(spec["name"])
        elif kind == "oneHot":
            names += [f"{spec['name']}={level}" for level in args["levels"]]
    return names


def bodies(model_path, csv_path, outdir, rows):
    model = read_model(model_path)
    inputs = model["preprocessor"]["inputs"]
    kinds = {spec["name"]: spec["kind"] for spec in inputs}
    names = [spec["name"] for spec in inputs]
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        lines = [row for _, row in zip(range(rows), reader)]
    records = [{name: parse_cell(kinds[name], cell) for name, cell in zip(header, row) if name in kinds} for row in lines]
    with open(f"{outdir}/one.json", "w") as f:
        json.dump(records[0], f, separators=(",", ":"))
    with open(f"{outdir}/post.lua", "w") as f:
        f.write('wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                f'local file = io.open("{outdir}/one.json", "rb")\n'
                'wrk.body = file:read("*a")\n'
                'file:close()\n')
    with open(f"{outdir}/batch.json", "w") as f:
        json.dump({"dataframe_split": {"columns": names, "data": [[r.get(n) for n in names] for r in records]}},
                  f, separators=(",", ":"))
    with open(f"{outdir}/rows.csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(lines)
    np.save(f"{outdir}/features.npy", encode(model["preprocessor"], records))
    with open(f"{outdir}/features.names.json", "w") as f:
        json.dump(feature_names(model["preprocessor"]), f)


# wrk prints latencies as 812.00us, 3.21ms, 1.02s, 2.00m
UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def emit(results, result):
    with open(results, "a") as f:
        f.write(json.dumps(result) + "\n")
    r = result
    if r["tool"] == "batch":
        diff = f"  max |diff| vs XGBoost {r['max_abs_diff_vs_xgboost']:.2g}" if r["name"] in ("batch-replica", "batch-cli") else ""
        print(f"run {r['run']}: {r['name']:18} {r['rows_per_s']:12,.0f} rows/s  median {r['seconds'] * 1e3:8.1f} ms"
              f" of {len(r['times'])}{diff}")
    else:
        print(f"run {r['run']}: {r['name']:12} {r['tool']:8} {r['rps']:9.0f} req/s  p99 {r['p99_ms']:7.2f} ms"
              f"  ({r['requests']} responses, {r['bad']} non-2xx, {r['errors']} errors;"
              f" server CPU {r['cpu_us_per_req']:.0f} us/request)")


def wrk(results, name, run, cpu):
    text = sys.stdin.read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M).groups()
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    total = int(re.search(r"(\d+) requests in", text).group(1))
    emit(results, {"name": name, "tool": "wrk", "run": int(run), "rps": rps, "p99_ms": float(value) * UNITS_MS[unit],
                   "requests": total, "bad": int(non2xx.group(1)) if non2xx else 0,
                   "errors": sum(map(int, errors.groups())) if errors else 0, "cpu_us_per_req": float(cpu) * 1e6 / total})


def lt(results, name, run, cpu):
    report = json.load(sys.stdin)
    bad = sum(n for status, n in report["statusCounts"].items() if status != "200")
    emit(results, {"name": name, "tool": "loadtest", "run": int(run), "rps": report["throughput"],
                   "p99_ms": report["latency"]["p99"], "requests": report["responses"], "bad": bad,
                   "errors": sum(report["errors"].values()),
                   "cpu_us_per_req": float(cpu) * 1e6 / max(report["responses"], 1)})


def timed(function, repeats):
    function()  # warm-up, not counted
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def batch(results_path, run, trainyard, model_path, xgb_json, outdir, url, repeats):
    import xgboost as xgb

    repeats = int(repeats)
    features = np.load(f"{outdir}/features.npy")
    rows = features.shape[0]
    body = open(f"{outdir}/batch.json", "rb").read()
    target = urllib.parse.urlsplit(url)

    def replica():
        # A new connection per request, as a batch client would open: connect, send the
        # body, the replica decodes JSON, preprocesses, predicts, encodes; read the whole reply.
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        connection.request("POST", target.path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        if response.status != 200:
            raise SystemExit(f"/invocations answered {response.status}: {data[:300]!r}")
        return data

    def cli():
        # Process start, model load, CSV parse, preprocessing, prediction, CSV written.
        subprocess.run([trainyard, "predict", "--model", model_path, "--data", f"{outdir}/rows.csv",
                        "--out", f"{outdir}/cli_predictions.csv"], check=True, stderr=subprocess.DEVNULL)

    booster = xgb.Booster(model_file=xgb_json)
    booster.set_param({"nthread": 2})
    # The exported booster names its input columns; they must be the columns encode() built.
    names = json.load(open(f"{outdir}/features.names.json"))
    assert json.loads(booster.attr("trainyard_feature_names")) == names, "feature order differs from the export"

    def xgboost_predict():
        # The already-encoded float32 matrix → DMatrix → predict (2 threads).
        matrix = xgb.DMatrix(features, missing=np.nan, feature_names=booster.feature_names, nthread=2)
        return booster.predict(matrix)

    import pandas as pd
    preprocessor = read_model(model_path)["preprocessor"]

    def xgboost_from_json():
        # What a Python model server does with the same request body: parse the JSON, build a
        # DataFrame, encode it (vectorized), DMatrix, predict. No HTTP: a lower bound for such a server.
        split = json.loads(body)["dataframe_split"]
        frame = pd.DataFrame(split["data"], columns=split["columns"])
        matrix = xgb.DMatrix(encode_frame(preprocessor, frame), missing=np.nan, feature_names=booster.feature_names, nthread=2)
        return booster.predict(matrix)

    results = {}
    for side, function in [("replica", replica), ("cli", cli), ("xgboost", xgboost_predict), ("xgboost-json", xgboost_from_json)]:
        results[side] = timed(function, repeats)
    assert np.array_equal(results["xgboost-json"][2], results["xgboost"][2]), "the two XGBoost paths disagree"

    served = np.array(json.loads(results["replica"][2])["predictions"], dtype=np.float64)
    with open(f"{outdir}/cli_predictions.csv") as f:
        next(f)
        from_cli = np.array([float(line.split(",")[0]) for line in f], dtype=np.float64)
    from_xgb = results["xgboost"][2].astype(np.float64)
    assert served.shape == from_cli.shape == from_xgb.shape == (rows,), (served.shape, from_cli.shape, from_xgb.shape)
    for side in ["replica", "cli", "xgboost", "xgboost-json"]:
        median, times, _ = results[side]
        emit(results_path, {"name": f"batch-{side}", "tool": "batch", "run": int(run), "rows": rows,
                            "rows_per_s": rows / median, "seconds": median, "times": times,
                            "max_abs_diff_vs_xgboost": float(np.max(np.abs((served if side == "replica" else from_cli) - from_xgb)))
                            if side in ("replica", "cli") else 0.0,
                            "body_bytes": len(body) if side == "replica" else None})


def summary(path):
    results = [json.loads(line) for line in open(path) if line.startswith("{")]
    runs = sorted({r["run"] for r in results})

    def pick(name, tool, key):
        return [r[key] for r in sorted(results, key=lambda r: r["run"]) if r["name"] == name and r["tool"] == tool]

    def med(name, tool, key):
        values = pick(name, tool, key)
        return statistics.median(values) if values else math.nan

    def per_run(name, tool, key, fmt):
        return " ".join(fmt.format(v) for v in pick(name, tool, key))

    print(f"\n== single-row POST /predict: medians of {len(runs)} runs (per run in brackets)")
    print(f"{'target':24} {'generator':9} {'req/s':>8} {'p99 ms':>7} {'CPU us/req':>10}   per run: req/s | p99 ms")
    labels = [("replica-c32", "one replica, 32 conns"), ("proxy-c32", "our proxy, 32 conns"),
              ("proxy-c64", "our proxy, 64 conns"), ("proxy-pipelined-c64", "proxy --pipeline 4, 64"),
              ("nginx-c64", "nginx, 64 conns"),
              ("nginx-ids-c64", "nginx + ids, 64 conns")]
    for name, label in labels:
        for tool in ["wrk", "loadtest"]:
            if pick(name, tool, "rps"):
                print(f"{label:24} {tool:9} {med(name, tool, 'rps'):8.0f} {med(name, tool, 'p99_ms'):7.2f} "
                      f"{med(name, tool, 'cpu_us_per_req'):10.0f}   [{per_run(name, tool, 'rps', '{:.0f}')} | "
                      f"{per_run(name, tool, 'p99_ms', '{:.2f}')}]")
    print("(CPU us/req: user + system CPU of the process under load — the replica, our proxy, or nginx's master"
          " and workers — per response)")
    for r in results:
        if r.get("bad") or r.get("errors"):
            print(f"WARNING: run {r['run']} {r['name']} {r['tool']}: {r['bad']} non-2xx responses, {r['errors']} errors")

    rows = pick("batch-replica", "batch", "rows")
    print(f"\n== batch prediction, {rows[0] if rows else '?'} rows: medians of {len(runs)} runs (each a median of 5)")
    for name, label in [("batch-replica", "replica POST /invocations"), ("batch-cli", "trainyard predict (CLI)"),
                        ("batch-xgboost", "XGBoost DMatrix + predict"),
                        ("batch-xgboost-json", "XGBoost from the JSON body")]:
        print(f"{label:27} {med(name, 'batch', 'rows_per_s'):12,.0f} rows/s   [{per_run(name, 'batch', 'rows_per_s', '{:,.0f}')}]")
    diffs = pick("batch-replica", "batch", "max_abs_diff_vs_xgboost") + pick("batch-cli", "batch", "max_abs_diff_vs_xgboost")
    print(f"max |probability - XGBoost's| over all runs (replica and CLI): {max(diffs) if diffs else math.nan:.3g}")

    def verdict(ok):
        return "met" if ok else "NOT met"

    print("\n== ratios (of medians)")
    # nginx: plain; nginx-ids: also passes on or makes X-Request-Id and extends X-Forwarded-For, as ours does.
    # proxy: as it starts by default; pipelined: --pipeline 4.
    anchors = [a for a in ["nginx", "nginx-ids"] if pick(f"{a}-c64", "wrk", "rps")]
    proxies = [p for p in ["proxy", "proxy-pipelined"] if pick(f"{p}-c64", "wrk", "rps")]
    for proxy in proxies:
        for anchor in anchors:
            for tool in ["wrk", "loadtest"]:
                ours, theirs = med(f"{proxy}-c64", tool, "rps"), med(f"{anchor}-c64", tool, "rps")
                each = " ".join(f"{a / b:.2f}" for a, b in zip(pick(f"{proxy}-c64", tool, "rps"), pick(f"{anchor}-c64", tool, "rps")))
                print(f"{proxy:15} / {anchor:9} req/s, {tool:8}: {ours / theirs:.3f} (target >= 1.0: {verdict(ours >= theirs)})"
                      f"   per run: {each}")
        for anchor in anchors:
            for tool in ["wrk", "loadtest"]:
                ours, theirs = med(f"{proxy}-c64", tool, "p99_ms"), med(f"{anchor}-c64", tool, "p99_ms")
                print(f"{proxy:15} / {anchor:9} p99,   {tool:8}: {ours / theirs:.3f} ({ours:.2f} vs {theirs:.2f} ms;"
                      f" target ours <= nginx: {verdict(ours <= theirs)})")
        for anchor in anchors:
            for tool in ["wrk", "loadtest"]:
                ours, theirs = med(f"{proxy}-c64", tool, "cpu_us_per_req"), med(f"{anchor}-c64", tool, "cpu_us_per_req")
                print(f"{proxy:15} / {anchor:9} CPU per request, {tool:8}: {ours / theirs:.3f} ({ours:.0f} vs {theirs:.0f} us; no target)")
    for tool in ["wrk", "loadtest"] if pick("proxy-c32", "wrk", "rps") else []:
        print(f"proxy c32 / one replica c32 req/s, {tool:8}: "
              f"{med('proxy-c32', tool, 'rps') / med('replica-c32', tool, 'rps'):.3f} (no target)")
    if pick("replica-c32", "wrk", "rps"):
        print(f"loadtest / wrk req/s on one replica: {med('replica-c32', 'loadtest', 'rps') / med('replica-c32', 'wrk', 'rps'):.3f}"
              " (the two generators agree if near 1)")
    replica, cli, xgbr, xgbj = (med(n, "batch", "rows_per_s") for n in ["batch-replica", "batch-cli", "batch-xgboost", "batch-xgboost-json"])
    print(f"replica batch / XGBoost predict rows/s: {replica / xgbr:.3f} (target >= 1.0: {verdict(replica >= xgbr)};"
          " the replica's time includes HTTP, JSON, preprocessing and the log, XGBoost's starts from the encoded matrix)")
    print(f"replica batch / XGBoost from the same JSON body rows/s: {replica / xgbj:.3f} (end to end on both sides, HTTP on ours only)")
    print(f"trainyard predict CLI / XGBoost predict rows/s: {cli / xgbr:.3f} (no target)")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"bodies": lambda: bodies(args[0], args[1], args[2], int(args[3])), "wrk": lambda: wrk(*args), "lt": lambda: lt(*args),
     "batch": lambda: batch(*args), "summary": lambda: summary(*args)}[command]()
