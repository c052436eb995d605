"""Runs a command that prints JSON lines (`trainyard tune --json`, optuna_tpe.py) and re-prints each line as it
arrives with `lib`, `seed` and `t`: seconds since the command was started, by time.monotonic() when the line was
read (the command flushes each line). The command's standard error passes through.
    stamp.py LIB SEED -- COMMAND [ARG...]"""
import json, subprocess, sys, time

lib, seed, separator, *command = sys.argv[1:]
assert separator == "--" and command, __doc__
start = time.monotonic()
process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1)
for line in process.stdout:
    t = time.monotonic() - start
    if not line.startswith("{"):
        continue
    row = json.loads(line)
    row.update({"lib": lib, "seed": int(seed), "t": t})
    print(json.dumps(row), flush=True)
sys.exit(process.wait())
