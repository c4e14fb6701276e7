"""Delta benchmark, Python side: generates the shared input and measures delta-rs (`deltalake`) and
pyarrow.parquet on it. Each measurement runs in its own process so its peak RSS is its own. Within that process
the operation runs once cold and then `--repeat` times; `seconds` is the median of the repeats, `coldSeconds` the
first run (the Node side does the same, so both are compared warm, as in a long-running server).

Run through bench/delta-bench.mjs, which also measures @mlfusion/delta on the same data in the same run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import ipc


def generate(rows: int, out: str) -> None:
    rng = np.random.default_rng(7)
    batch = 1_000_000
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("x", pa.float64()),
            ("s", pa.string()),
            ("ts", pa.timestamp("us", tz="UTC")),
        ]
    )
    with ipc.new_stream(out, schema) as writer:
        for start in range(0, rows, batch):
            n = min(batch, rows - start)
            ids = np.arange(start, start + n, dtype=np.int64)
            words = np.char.add("value-", (ids % 100_000).astype(str)).astype(object)
            words[rng.random(n) < 0.01] = None
            table = pa.table(
                {
                    "id": ids,
                    "x": rng.random(n),
                    "s": pa.array(words, pa.string()),
                    "ts": pa.array(
                        1_700_000_000_000_000 + ids * 1000, pa.timestamp("us", tz="UTC")
                    ),
                },
                schema=schema,
            )
            for b in table.to_batches(max_chunksize=64 * 1024):
                writer.write_batch(b)


def load(path: str) -> pa.Table:
    with ipc.open_stream(path) as reader:
        return reader.read_all()


def measure(op: str, args: argparse.Namespace) -> dict[str, float]:
    runs = [measure_once(op, args) for _ in range(1 + args.repeat)]
    warm = sorted(runs[1:]) if len(runs) > 1 else runs
    files = len(glob.glob(args.table + "/*.parquet"))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": warm[len(warm) // 2], "coldSeconds": runs[0], "peakRssMb": peak_mb, "files": files}


_input: pa.Table | None = None


def measure_once(op: str, args: argparse.Namespace) -> float:
    global _input
    from deltalake import DeltaTable, write_deltalake

    if op in ("deltars-write", "pyarrow-write"):
        if _input is None:
            _input = load(args.input)
        table = _input
        start = time.perf_counter()
        if op == "deltars-write":
            write_deltalake(args.table, table, mode="overwrite")
        else:
            pq.write_table(table, args.table + ".parquet", compression="snappy")
        return time.perf_counter() - start
    else:
        start = time.perf_counter()
        if op == "deltars-read":
            rows = DeltaTable(args.table).to_pyarrow_table().num_rows
        elif op == "deltars-filtered":
            rows = (
                DeltaTable(args.table)
                .to_pyarrow_table(filters=[("id", "<", args.cutoff)])
                .num_rows
            )
        elif op == "pyarrow-read":
            rows = pq.read_table(args.table + ".parquet").num_rows
        elif op == "pyarrow-filtered":
            rows = pq.read_table(
                args.table + ".parquet", filters=[("id", "<", args.cutoff)]
            ).num_rows
        else:
            raise SystemExit(f"unknown op {op}")
        seconds = time.perf_counter() - start
        if rows <= 0:
            raise SystemExit(f"{op} read no rows")
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("op")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--input")
    parser.add_argument("--table")
    parser.add_argument("--cutoff", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.op == "generate":
        generate(args.rows, args.input)
        return
    print(json.dumps(measure(args.op, args)))
    sys.stdout.flush()
    # deltalake's runtime threads can abort the interpreter at shutdown ("terminate called without an active
    # exception"); the result is printed, so leave without the shutdown.
    os._exit(0)


if __name__ == "__main__":
    main()
