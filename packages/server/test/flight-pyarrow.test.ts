// pyarrow.flight against our server for every Flight RPC, with the data shapes users send.
import { type FusionServer, startFusionServer } from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { flightPython, lastJson } from "./python-flight.js";

let server: FusionServer;
beforeAll(async () => {
  server = await startFusionServer();
});
afterAll(async () => {
  await server.close();
});

const MIXED_TABLE = `
def mixed(n):
    rng = np.random.default_rng(7)
    valid = rng.random(n) > 0.1
    ints = pa.array(np.arange(n, dtype=np.int64), mask=~valid)
    floats = pa.array(rng.random(n), mask=rng.random(n) < 0.05)
    strings = pa.array([None if i % 17 == 0 else f"s{i % 1000}" for i in range(n)])
    bools = pa.array(rng.random(n) > 0.5, mask=rng.random(n) < 0.05)
    ts = pa.array(np.arange(n, dtype=np.int64) * 1_000_000, type=pa.timestamp("us", tz="UTC"), mask=rng.random(n) < 0.05)
    dates = pa.array((np.arange(n) % 20000).astype(np.int32), type=pa.date32())
    cats = pa.array([["red", "green", "blue", None][i % 4] for i in range(n)]).dictionary_encode()
    return pa.table({"i": ints, "f": floats, "s": strings, "b": bools, "ts": ts, "d": dates, "cat": cats})
`;

describe("plain Flight with pyarrow", () => {
  test("round-trips 1M rows of mixed types with nulls and a dictionary column through DoPut and DoGet", async () => {
    const out = await flightPython(
      server.url,
      `${MIXED_TABLE}
t = mixed(1_000_000)
put(["demo", "mixed"], t, chunk=100_000)
info = client.get_flight_info(fl.FlightDescriptor.for_path("demo", "mixed"))
batches = [chunk.data for chunk in client.do_get(info.endpoints[0].ticket)]
back = pa.Table.from_batches(batches)
# Dictionary chunks may carry different dictionaries: compare the values they encode.
equal = back.drop_columns(["cat"]).equals(t.drop_columns(["cat"])) and back["cat"].to_pylist() == t["cat"].to_pylist()
print(json.dumps({"records": info.total_records, "rows": back.num_rows, "equal": equal, "batches": len(batches),
                  "schema": str(back.schema.field("cat").type), "bytes": info.total_bytes}))
`,
    );
    const result = lastJson<{
      records: number;
      rows: number;
      equal: boolean;
      batches: number;
      schema: string;
      bytes: number;
    }>(out);
    expect(result).toMatchObject({ records: 1_000_000, rows: 1_000_000, equal: true });
    expect(result.batches).toBeGreaterThan(1);
    expect(result.schema).toBe("dictionary<values=string, indices=int32, ordered=0>");
    expect(result.bytes).toBeGreaterThan(0);
  }, 180_000);

  test.each(["zstd", "lz4"])("decodes %s-compressed IPC sent by pyarrow", async (codec) => {
    const out = await flightPython(
      server.url,
      `${MIXED_TABLE}
t = mixed(200_000)
opts = fl.FlightCallOptions(write_options=pa.ipc.IpcWriteOptions(compression="${codec}"))
put(["compressed", "${codec}"], t, chunk=50_000, options=opts)
info, back = get(["compressed", "${codec}"])
# Dictionary chunks may carry different dictionaries (one per decoded batch): compare the values they encode.
equal = back.drop_columns(["cat"]).equals(t.drop_columns(["cat"])) and back["cat"].to_pylist() == t["cat"].to_pylist()
print(json.dumps({"rows": back.num_rows, "equal": equal}))
`,
    );
    expect(lastJson(out)).toEqual({ rows: 200_000, equal: true });
  });

  test("honours dictionary deltas and replacements between batches", async () => {
    const out = await flightPython(
      server.url,
      `
first = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int32()), pa.array(["a", "b"]))
grown = pa.DictionaryArray.from_arrays(pa.array([2, 0, 3], pa.int32()), pa.array(["a", "b", "c", "d"]))
other = pa.DictionaryArray.from_arrays(pa.array([1, 0], pa.int32()), pa.array(["z", "y"]))
schema = pa.schema([("k", first.type)])
batches = [pa.record_batch([a], schema=schema) for a in [first, grown, other]]
opts = fl.FlightCallOptions(write_options=pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True))
w, r = client.do_put(fl.FlightDescriptor.for_path("dict", "deltas"), schema, options=opts)
for b in batches:
    w.write_batch(b)
w.done_writing(); r.read(); w.close()
info, back = get(["dict", "deltas"])
print(json.dumps(back["k"].to_pylist()))
`,
    );
    expect(lastJson(out)).toEqual(["a", "b", "a", "c", "a", "d", "y", "z"]);
  });

  test("accepts an empty table and serves it back with its schema", async () => {
    const out = await flightPython(
      server.url,
      `
t = pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.string())})
put(["demo", "empty"], t)
info, back = get(["demo", "empty"])
print(json.dumps({"records": info.total_records, "rows": back.num_rows, "schema": back.schema.names}))
`,
    );
    expect(lastJson(out)).toEqual({ records: 0, rows: 0, schema: ["a", "b"] });
  });

  test("accepts thousands of small batches in one DoPut", async () => {
    const out = await flightPython(
      server.url,
      `
t = pa.table({"x": pa.array(np.arange(30_000, dtype=np.int64))})
put(["demo", "many"], t, chunk=10)
info, back = get(["demo", "many"])
print(json.dumps({"rows": back.num_rows, "sum": back["x"].to_numpy().sum().item()}))
`,
    );
    expect(lastJson(out)).toEqual({ rows: 30_000, sum: (30_000 * 29_999) / 2 });
  });

  test("DoPut to a PATH descriptor appends and creates the dataset when missing", async () => {
    const out = await flightPython(
      server.url,
      `
t = pa.table({"a": [1, 2, 3]})
put(["append", "x"], t)
meta = put(["append", "x"], t)
info, back = get(["append", "x"])
print(json.dumps({"rows": back.num_rows, "meta": len(meta.to_pybytes()) > 0 if meta else False}))
`,
    );
    expect(lastJson(out)).toEqual({ rows: 6, meta: true });
  });

  test("GetSchema returns the dataset's schema", async () => {
    const out = await flightPython(
      server.url,
      `
put(["schema", "x"], pa.table({"a": [1], "b": ["x"], "c": [1.5]}))
s = client.get_schema(fl.FlightDescriptor.for_path("schema", "x")).schema
print(json.dumps([f"{f.name}:{f.type}" for f in s]))
`,
    );
    expect(lastJson(out)).toEqual(["a:int64", "b:string", "c:double"]);
  });

  test("ListFlights lists every dataset, or those under an area prefix", async () => {
    const out = await flightPython(
      server.url,
      `
for key in [["lf", "a", "one"], ["lf", "a", "two"], ["lf", "b", "three"]]:
    put(key, pa.table({"v": [1, 2]}))
everything = ["/".join(p.decode() for p in f.descriptor.path) for f in client.list_flights()]
under = [("/".join(p.decode() for p in f.descriptor.path), f.total_records) for f in client.list_flights(b"lf/a/")]
print(json.dumps({"all": [k for k in everything if k.startswith("lf/")], "under": under}))
`,
    );
    expect(lastJson(out)).toEqual({
      all: ["lf/a/one", "lf/a/two", "lf/b/three"],
      under: [
        ["lf/a/one", 2],
        ["lf/a/two", 2],
      ],
    });
  });

  test("ListActions describes every action and DoAction runs them", async () => {
    const out = await flightPython(
      server.url,
      `
put(["act", "x"], pa.table({"v": [1, 2]}))
put(["act", "x"], pa.table({"v": [3]}))
actions = {a.type: a.description for a in client.list_actions()}
def act(kind, body):
    return [json.loads(r.body.to_pybytes()) for r in client.do_action(fl.Action(kind, json.dumps(body).encode()))]
meta = act("set-metadata", {"key": "act/x", "description": "demo data", "tags": {"team": "ml"}, "properties": {"owner": "me"}})[0]
history = act("history", {"key": "act/x"})
act("drop", {"key": "act/x"})
gone = error_of(lambda: client.get_flight_info(fl.FlightDescriptor.for_path("act", "x")))
print(json.dumps({"actions": sorted(actions), "described": all(actions.values()), "meta": meta,
                  "history": [(h["version"], h.get("rowsAdded"), h["operation"]) for h in history], "gone": gone}))
`,
    );
    const result = lastJson<{
      actions: string[];
      described: boolean;
      meta: { description: string; tags: Record<string, string>; properties: Record<string, string> };
      history: [number, number | null, string][];
      gone: string;
    }>(out);
    expect(result.actions).toEqual([
      "ClosePreparedStatement",
      "CreatePreparedStatement",
      "drop",
      "history",
      "register",
      "set-metadata",
      "vacuum",
    ]);
    expect(result.described).toBe(true);
    expect(result.meta).toMatchObject({ description: "demo data", tags: { team: "ml" }, properties: { owner: "me" } });
    expect(result.history).toEqual([
      [2, null, expect.stringMatching(/TBLPROPERTIES|METADATA/i)],
      [1, 1, "WRITE"],
      [0, 2, "CREATE TABLE"],
    ]);
    expect(result.gone).toMatch(/^FlightNotFound|KeyError/);
  });

  test("register serves an existing Delta table written by delta-rs, and vacuum deletes unreferenced files", async () => {
    const out = await flightPython(
      server.url,
      `
import deltalake
external = tempfile.mkdtemp()
deltalake.write_deltalake(external, pa.table({"id": [1, 2, 3], "label": ["a", "b", "c"]}))
def act(kind, body):
    return [json.loads(r.body.to_pybytes()) for r in client.do_action(fl.Action(kind, json.dumps(body).encode()))]
from flight_fusion.flight_requests import query_ticket
def sql(text):
    return client.do_get(query_ticket(text, [])).read_all().to_pylist()
before = sql("SELECT 1 AS one")  # the SQL engine is up before the table is registered
registered = act("register", {"key": "ext/table", "path": external})[0]
_, back = get(["ext", "table"])
# SQL sees the registered table (outside the data root) at once, joined with one inside the data root.
put(["inside", "labels"], pa.table({"label": ["a", "c"], "weight": [10, 30]}))
queried = sql('SELECT CAST(sum(t.id * l.weight) AS BIGINT) AS s, count(*) AS n FROM "ext"."table" t JOIN "inside"."labels" l USING (label)')
not_delta = error_of(lambda: act("register", {"key": "ext/bad", "path": tempfile.mkdtemp()}))
put(["vac", "x"], pa.table({"v": [1, 2]}))
overwrite = ff.FlightDoPutRequest(storage=ff.CommandWriteIntoDataset(source=source("vac", "x"), save_mode=ff.SAVE_MODE_OVERWRITE))
w, r = client.do_put(fl.FlightDescriptor.for_command(overwrite.SerializeToString()), pa.schema([("v", pa.int64())]))
w.write_table(pa.table({"v": [3]})); w.done_writing(); r.read(); w.close()
refused = error_of(lambda: act("vacuum", {"key": "vac/x", "retentionHours": 0}))
dry = act("vacuum", {"key": "vac/x", "retentionHours": 0, "dryRun": True, "force": True})[0]["files"]
done = act("vacuum", {"key": "vac/x", "retentionHours": 0, "force": True})[0]["files"]
_, after = get(["vac", "x"])
print(json.dumps({"registered": registered, "rows": back.num_rows, "before": before, "queried": queried, "not_delta": not_delta, "refused": refused,
                  "dry": len(dry), "done": done == dry, "after": after["v"].to_pylist(),
                  "external_kept": os.path.isdir(os.path.join(external, "_delta_log"))}))
`,
      { protos: true },
    );
    const result = lastJson<Record<string, unknown>>(out);
    expect(result).toMatchObject({
      registered: { key: "ext/table", version: 0 },
      rows: 3,
      before: [{ one: 1 }],
      queried: [{ s: 1 * 10 + 3 * 30, n: 2 }],
      dry: 1,
      done: true,
      after: [3],
      external_kept: true,
    });
    expect(result.not_delta).toMatch(/^ArrowInvalid: .*not a Delta table/);
    expect(result.refused).toMatch(/^ArrowInvalid: .*retention/);
  });

  test("PollFlightInfo answers with the complete FlightInfo; DoExchange is UNIMPLEMENTED", async () => {
    const out = await flightPython(
      server.url,
      `
import grpc, grpc_tools
from grpc_tools import protoc
put(["poll", "x"], pa.table({"v": [1, 2, 3]}))
# pyarrow has no PollFlightInfo: call it with grpcio and Flight.proto compiled from the repository.
out_dir = tempfile.mkdtemp()
include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
assert protoc.main(["protoc", f"-I{sys.argv[2]}", f"-I{include}", f"--python_out={out_dir}", "arrow/flight/protocol/Flight.proto"]) == 0
sys.path.insert(0, out_dir)
from arrow.flight.protocol import Flight_pb2 as pb
poll_rpc = grpc.insecure_channel(URL.replace("grpc://", "")).unary_unary(
    "/arrow.flight.protocol.FlightService/PollFlightInfo",
    request_serializer=pb.FlightDescriptor.SerializeToString, response_deserializer=pb.PollInfo.FromString)
poll = poll_rpc(pb.FlightDescriptor(type=pb.FlightDescriptor.PATH, path=["poll", "x"]))
exchange = error_of(lambda: client.do_exchange(fl.FlightDescriptor.for_path("poll", "x"))[1].read_all())
print(json.dumps({"records": poll.info.total_records, "progress": poll.progress, "exchange": exchange}))
`,
    );
    const result = lastJson<{ records: number; progress: number; exchange: string }>(out);
    expect(result.records).toBe(3);
    expect(result.progress).toBe(1);
    expect(result.exchange).toMatch(/^ArrowNotImplementedError: .*DoExchange/);
  });
});
