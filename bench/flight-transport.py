"""Flight transport benchmark: pyarrow client -> pyarrow's C++ in-memory FlightServerBase (the anchor) and ->
our server's in-memory catalog (and, with --delta, our server on Delta), in one run. Prints MB/s and ratios.

Run through bench/flight-transport.mjs, which starts our servers and passes their URLs.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as fl


class InMemoryServer(fl.FlightServerBase):
    def __init__(self) -> None:
        super().__init__("grpc://127.0.0.1:0")
        self.tables: dict[bytes, pa.Table] = {}

    def do_put(self, context, descriptor, reader, writer):  # noqa: ANN001
        self.tables[descriptor.command or b"/".join(descriptor.path)] = reader.read_all()

    def do_get(self, context, ticket):  # noqa: ANN001
        return fl.RecordBatchStream(self.tables[ticket.ticket])


def make_table(rows: int) -> pa.Table:
    rng = np.random.default_rng(42)
    return pa.table(
        {
            "id": pa.array(np.arange(rows, dtype=np.int64)),
            "x": pa.array(rng.random(rows)),
            "y": pa.array(rng.random(rows)),
        }
    )


def put(client: fl.FlightClient, path: list[str], table: pa.Table, chunk: int) -> float:
    start = time.perf_counter()
    writer, reader = client.do_put(fl.FlightDescriptor.for_path(*path), table.schema)
    writer.write_table(table, max_chunksize=chunk)
    writer.done_writing()
    reader.read()
    writer.close()
    return time.perf_counter() - start


def get(client: fl.FlightClient, ticket: bytes, rows: int) -> float:
    start = time.perf_counter()
    table = client.do_get(fl.Ticket(ticket)).read_all()
    elapsed = time.perf_counter() - start
    assert table.num_rows == rows, (table.num_rows, rows)
    return elapsed


def measure(name: str, url: str, table: pa.Table, runs: int, chunk: int, ticket: bytes, overwrite) -> dict:  # noqa: ANN001
    client = fl.connect(url)
    mb = table.nbytes / 1e6
    puts, gets = [], []
    for _ in range(runs):
        overwrite(client)
        puts.append(mb / put(client, ["bench", name], table, chunk))
    for _ in range(runs):
        gets.append(mb / get(client, ticket, table.num_rows))
    client.close()
    return {"put": statistics.median(puts), "get": statistics.median(gets)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", required=True, help="our server (in-memory catalog)")
    parser.add_argument("--delta", help="our server on a Delta data root (end to end)")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=131_072)
    args = parser.parse_args()

    table = make_table(args.rows)
    anchor = InMemoryServer()
    threading.Thread(target=anchor.serve, daemon=True).start()

    def drop_ours(url: str):  # noqa: ANN202
        def run(client: fl.FlightClient) -> None:
            try:
                list(client.do_action(fl.Action("drop", b'{"key": "bench/ours"}')))
            except fl.FlightError:
                pass  # first run: nothing to drop
            except KeyError:
                pass

        return run

    results = {
        "pyarrow C++ in-memory (anchor)": measure(
            "anchor", f"grpc://127.0.0.1:{anchor.port}", table, args.runs, args.chunk, b"bench/anchor", lambda c: None
        ),
        "ours, in-memory catalog": measure("ours", args.ours, table, args.runs, args.chunk, b"bench/ours", drop_ours(args.ours)),
    }
    if args.delta:
        results["ours, Delta (end to end)"] = measure(
            "ours", args.delta, table, args.runs, args.chunk, b"bench/ours", drop_ours(args.delta)
        )
    anchor.shutdown()

    base = results["pyarrow C++ in-memory (anchor)"]
    print(f"Flight transport: {args.rows:,} rows x int64/float64/float64 = {table.nbytes / 1e6:.0f} MB, "
          f"{args.chunk:,}-row batches, median of {args.runs}")
    print(f"{'server':34} {'DoPut MB/s':>11} {'vs C++':>7} {'DoGet MB/s':>11} {'vs C++':>7}")
    for name, r in results.items():
        print(f"{name:34} {r['put']:11.0f} {r['put'] / base['put']:7.2f} {r['get']:11.0f} {r['get'] / base['get']:7.2f}")


if __name__ == "__main__":
    main()
