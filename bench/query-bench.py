"""DuckDB in Python over the same Parquet files as bench/query-bench.mjs: the anchor for the query engine.

Usage (from query-bench.mjs): python bench/query-bench.py generate DATA_ROOT ROWS
                              python bench/query-bench.py serve CASES_JSON
`serve` reads one case name per line on stdin, runs it once and prints {"ms", "rows"}: the Node side alternates
its own runs with these, so both see the same machine load.
"""

import json
import sys
import time


def generate(data_root: str, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    from deltalake import write_deltalake

    files = 10
    per_file = rows // files
    rng = np.random.default_rng(7)
    labels = np.array([f"label_{i:03d}" for i in range(100)], dtype=object)
    for f in range(files):
        start = f * per_file
        ids = np.arange(start, start + per_file, dtype=np.int64)
        table = pa.table(
            {
                "id": ids,
                "x": rng.random(per_file),
                "label": pa.array(labels[rng.integers(0, 100, per_file)], pa.string()),
                "ts": pa.array(ids * 1_000_000, pa.timestamp("us", tz="UTC")),
            }
        )
        write_deltalake(f"{data_root}/bench/events", table, mode="append")


def serve(cases_path: str) -> None:
    import duckdb

    cases = {c["name"]: c["sql"] for c in json.load(open(cases_path))}
    con = duckdb.connect()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        t0 = time.perf_counter()
        table = con.sql(cases[name]).to_arrow_table()
        ms = (time.perf_counter() - t0) * 1000
        print(json.dumps({"ms": ms, "rows": table.num_rows}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    else:
        serve(sys.argv[2])
