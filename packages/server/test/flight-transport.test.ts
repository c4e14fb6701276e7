// Transport behaviour: auth, health, deadlines, cancellation and graceful shutdown.
import { spawn } from "node:child_process";
import { connect, constants } from "node:http2";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { createDeltaCatalog, createQueryEngine, type QueryEngine } from "@mlfusion/query";
import { createTempDir, pythonExecutable } from "@mlfusion/testing";
import { pino } from "pino";
import { describe, expect, test } from "vitest";
import { createDeltaDatasetCatalog, createMemoryDatasetCatalog, startFlightServer } from "../src/index.js";
import { flightPython, lastJson, PRELUDE } from "./python-flight.js";

/** Runs `run` against a Flight server with a SQL engine over an empty data folder, then closes all of it. */
async function withQueryServer(
  run: (server: Awaited<ReturnType<typeof startFlightServer>>, engine: QueryEngine) => Promise<void>,
): Promise<void> {
  const dir = await createTempDir("flight-query-");
  const queryEngine = createQueryEngine({
    catalog: createDeltaCatalog({ dataRoot: dir.path }),
    config: { timeoutMs: 60_000 },
  });
  const server = await startFlightServer({ catalog: createDeltaDatasetCatalog(dir.path), queryEngine, port: 0 });
  try {
    await run(server, queryEngine);
  } finally {
    await server.close();
    await queryEngine.close();
    await dir.close();
  }
}

describe("bearer token auth", () => {
  test("rejects missing and wrong tokens with UNAUTHENTICATED and accepts the handshake's token", async () => {
    const server = await startFlightServer({ catalog: createMemoryDatasetCatalog(), port: 0, token: "s3cret" });
    try {
      const out = await flightPython(
        server.url,
        `
from grpc_health.v1 import health_pb2, health_pb2_grpc
import grpc
t = pa.table({"v": [1, 2]})
errors = {
  "none": error_of(lambda: list(client.list_flights())),
  "wrong": error_of(lambda: list(client.list_flights(options=fl.FlightCallOptions(headers=[(b"authorization", b"Bearer nope")])))),
  "handshake": error_of(lambda: fl.connect(URL).authenticate_basic_token("user", "wrong")),
}
pair = client.authenticate_basic_token("user", "s3cret")
opts = fl.FlightCallOptions(headers=[pair])
w, r = client.do_put(fl.FlightDescriptor.for_path("auth", "x"), t.schema, options=opts)
w.write_table(t); w.done_writing(); r.read(); w.close()
rows = client.do_get(fl.Ticket(b"auth/x"), options=opts).read_all().num_rows
channel = grpc.insecure_channel(URL.replace("grpc://", ""))
health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="")).status
print(json.dumps({"errors": errors, "pair": [p.decode() for p in pair], "rows": rows, "health": health}))
`,
      );
      const result = lastJson<{ errors: Record<string, string>; pair: string[]; rows: number; health: number }>(out);
      for (const message of Object.values(result.errors)) expect(message).toMatch(/^FlightUnauthenticatedError/);
      expect(result.errors.none).toContain("requires a token");
      expect(result.pair).toEqual(["authorization", "Bearer s3cret"]);
      expect(result.rows).toBe(2);
      expect(result.health).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe("grpc.health.v1", () => {
  test("Check reports SERVING, unknown services NOT_FOUND, and Watch reports NOT_SERVING on shutdown", async () => {
    const server = await startFlightServer({ catalog: createMemoryDatasetCatalog(), port: 0 });
    const python = spawn(
      pythonExecutable(),
      [
        "-c",
        `
import sys, json, grpc
from grpc_health.v1 import health_pb2 as pb, health_pb2_grpc as stub
channel = grpc.insecure_channel(sys.argv[1].replace("grpc://", ""))
h = stub.HealthStub(channel)
out = {"flight": h.Check(pb.HealthCheckRequest(service="arrow.flight.protocol.FlightService")).status}
try:
    h.Check(pb.HealthCheckRequest(service="nope"))
except grpc.RpcError as e:
    out["unknown"] = e.code().name
statuses = []
for i, r in enumerate(h.Watch(pb.HealthCheckRequest(service=""))):
    statuses.append(r.status)
    if i == 0:
        print("watching", flush=True)
out["watch"] = statuses
print(json.dumps(out), flush=True)
`,
        server.url,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const lines = createInterface({ input: python.stdout });
    const output: string[] = [];
    for await (const line of lines) {
      output.push(line);
      if (line === "watching") await server.close();
    }
    const result = JSON.parse(output[output.length - 1] ?? "{}");
    expect(result).toEqual({ flight: 1, unknown: "NOT_FOUND", watch: [1, 2] });
  });
});

describe("deadlines and cancellation", () => {
  test("ends a call whose grpc-timeout passes with DEADLINE_EXCEEDED", async () => {
    const server = await startFlightServer({ catalog: createMemoryDatasetCatalog(), port: 0 });
    const session = connect(`http://127.0.0.1:${server.port}`);
    try {
      // A DoPut that never sends anything: only the server-side deadline can end it.
      const stream = session.request({
        ":method": "POST",
        ":path": "/arrow.flight.protocol.FlightService/DoPut",
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": "200m",
      });
      const headers = await new Promise<Record<string, unknown>>((resolve) => stream.once("response", resolve));
      stream.close(constants.NGHTTP2_CANCEL);
      expect(headers["grpc-status"]).toBe("4");
      expect(decodeURIComponent(String(headers["grpc-message"]))).toContain("deadline");
    } finally {
      session.close();
      await server.close();
    }
  });

  test("a query result of many batches arrives intact while each batch's memory is reused once sent", async () => {
    await withQueryServer(async (server) => {
      // ~20 batches: a batch recycled before its bytes were written would carry a later batch's values. The client
      // pauses at first so that HTTP/2 flow control holds sent frames back in the server's queue.
      const out = await flightPython(
        server.url,
        `
import pyarrow.compute as pc
from flight_fusion.flight_requests import query_ticket
sql = "SELECT i, 'row ' || i::VARCHAR AS s, CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END AS x FROM range(0, 2000000) r(i)"
reader = client.do_get(query_ticket(sql, []))
batches = 0
ok = True
expected_start = 0
import time
for chunk in reader:
    b = chunk.data
    batches += 1
    if batches <= 6:
        time.sleep(0.05)
    i = b.column("i")
    ok = ok and pc.all(pc.equal(i, pa.array(range(expected_start, expected_start + b.num_rows), pa.int64()))).as_py()
    ok = ok and pc.all(pc.equal(b.column("s"), pc.binary_join_element_wise("row ", pc.cast(i, pa.string()), ""))).as_py()
    x = b.column("x")
    ok = ok and x.null_count == sum(1 for v in range(expected_start, expected_start + b.num_rows) if v % 7 == 0)
    ok = ok and pc.all(pc.equal(pc.drop_null(x), pc.multiply(pc.filter(pc.cast(i, pa.float64()), pc.is_valid(x)), 0.5))).as_py()
    expected_start += b.num_rows
print(json.dumps({"rows": expected_start, "batches": batches, "ok": ok}))
`,
      );
      const result = lastJson<{ rows: number; batches: number; ok: boolean }>(out);
      expect(result.rows).toBe(2_000_000);
      expect(result.batches).toBeGreaterThan(10);
      expect(result.ok).toBe(true);
    });
  });

  test("a client that abandons a DoGet mid-stream ends the call and frees its query at once", async () => {
    await withQueryServer(async (server, queryEngine) => {
      // Many result batches; the client reads one and cancels while the server is producing and sending the rest.
      const out = await flightPython(
        server.url,
        `
from flight_fusion.flight_requests import query_ticket
reader = client.do_get(query_ticket("SELECT range AS v, range * 2 AS w FROM range(50000000)", []))
first = reader.read_chunk().data.num_rows
reader.cancel()
print(json.dumps({"first": first > 0}))
`,
      );
      expect(lastJson(out)).toEqual({ first: true });
      // close() waits for in-flight calls (10 s grace): the abandoned DoGet must already be over, not streaming on.
      const started = performance.now();
      await server.close();
      expect(performance.now() - started).toBeLessThan(3_000);
      // The engine still answers (its connection came back or was closed, nothing is stuck).
      const result = await queryEngine.query("SELECT 42 AS answer");
      let answer: unknown;
      for await (const batch of result) answer = batch.getChild("answer")?.get(0);
      expect(answer).toBe(42);
    });
  });

  test("a client that disconnects in the middle of a DoPut leaves no commit behind", async () => {
    const dir = await createTempDir("flight-cut-");
    const catalog = createDeltaDatasetCatalog(dir.path);
    const server = await startFlightServer({ catalog, port: 0 });
    const out = await flightPython(
      server.url,
      `
import subprocess
child = subprocess.run([sys.executable, "-c", """
import os, sys, pyarrow as pa, pyarrow.flight as fl, numpy as np
c = fl.connect(sys.argv[1])
t = pa.table({"v": pa.array(np.arange(100_000))})
w, r = c.do_put(fl.FlightDescriptor.for_path("cut", "x"), t.schema)
w.write_table(t, max_chunksize=10_000)
os._exit(3)
""", URL])
print(json.dumps({"exit": child.returncode}))
`,
    );
    expect(lastJson(out)).toEqual({ exit: 3 });
    // close() waits for every in-flight call, the cut DoPut included, so its outcome is final afterwards.
    await server.close();
    expect(await catalog.list(["cut"])).toEqual([]);
    await expect(catalog.info(["cut", "x"])).rejects.toThrow(/does not exist/);
    await dir.close();
  });

  test("graceful shutdown finishes an in-flight DoPut and refuses new calls", async () => {
    const dir = await createTempDir("flight-drain-");
    const catalog = createDeltaDatasetCatalog(dir.path);
    // The server logs "call started" when a call reaches it: that, not a sleep, says the DoPut is in flight.
    let putStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      putStarted = resolve;
    });
    const logs = new Writable({
      write(chunk, _encoding, done) {
        if (String(chunk).includes("DoPut") && String(chunk).includes("call started")) putStarted();
        done();
      },
    });
    const server = await startFlightServer({ catalog, port: 0, logger: pino({ level: "debug" }, logs) });
    const python = spawn(
      pythonExecutable(),
      [
        "-c",
        `${PRELUDE}
t = pa.table({"v": pa.array(np.arange(50_000))})
w, r = client.do_put(fl.FlightDescriptor.for_path("drain", "x"), t.schema)
w.write_table(t.slice(0, 25_000))
print("started", flush=True)
sys.stdin.readline()
other = error_of(lambda: list(fl.connect(URL).list_flights()))
w.write_table(t.slice(25_000))
w.done_writing(); r.read(); w.close()
print(json.dumps({"other": other}), flush=True)
`,
        server.url,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const lines = createInterface({ input: python.stdout });
    let closing: Promise<void> | undefined;
    let last = "";
    for await (const line of lines) {
      last = line;
      if (line === "started") {
        await started;
        closing = server.close();
        python.stdin.write("go\n");
      }
    }
    await closing;
    expect(JSON.parse(last).other).toMatch(/unavailable|shutting down|Failed to connect|Connection refused/i);
    const info = await catalog.info(["drain", "x"]);
    expect(info.totalRecords).toBe(50_000);
    await dir.close();
  });
});
