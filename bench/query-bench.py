"""The anchor and the client side of bench/query-bench.mjs.

Usage (from query-bench.mjs): python bench/query-bench.py generate DATA_ROOT ROWS
                              python bench/query-bench.py run FLIGHT_URL CASES_JSON RUNS

`run` times each case through our Flight server with pyarrow.flight (a CommandExecuteQuery ticket, one DoGet) and
with the ADBC Flight SQL driver (GetFlightInfo + DoGet), and with DuckDB in this process over the same Parquet
files (`to_arrow_table`). The three alternate run by run, after one warm-up each, so all see the same machine load.
Prints one JSON line per case: medians in ms and row counts.
"""

import json
import statistics
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


def run(url: str, cases_path: str, runs: int) -> None:
    import adbc_driver_flightsql.dbapi as flightsql
    import duckdb
    import pyarrow.flight as flight
    from flight_fusion.flight_requests import query_ticket

    client = flight.connect(url)
    adbc = flightsql.connect(url)
    local = duckdb.connect()

    def timed(fn):
        t0 = time.perf_counter()
        table = fn()
        return (time.perf_counter() - t0) * 1000, table.num_rows

    def adbc_query(sql):
        with adbc.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetch_arrow_table()

    for case in json.load(open(cases_path)):
        ticket = query_ticket(case["ours"], [["bench", "events"]])
        runners = {
            "flight": lambda: client.do_get(ticket).read_all(),
            "adbc": lambda: adbc_query(case["ours"]),
            "duckdb": lambda: local.sql(case["anchor"]).to_arrow_table(),
        }
        times = {name: [] for name in runners}
        rows = {}
        for i in range(runs + 1):
            for name, fn in runners.items():
                ms, rows[name] = timed(fn)
                if i > 0:
                    times[name].append(ms)
        medians = {name: statistics.median(ts) for name, ts in times.items()}
        print(json.dumps({"name": case["name"], "ms": medians, "rows": rows, "all": times}), flush=True)
    adbc.close()
    client.close()


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]))
