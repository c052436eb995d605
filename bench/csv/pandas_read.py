"""CSV loading benchmark, anchor side: pandas.read_csv of the same file, median of N runs.
Prints one JSON line like CSVBench."""
import json
import statistics
import sys
import time

import pandas as pd

path = sys.argv[1]
repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
times = []
for _ in range(repeats):
    start = time.perf_counter()
    frame = pd.read_csv(path)
    times.append(time.perf_counter() - start)
print(json.dumps({"lib": f"pandas {pd.__version__}", "seconds": round(statistics.median(times), 3),
                  "rows": len(frame), "columns": frame.shape[1]}))
