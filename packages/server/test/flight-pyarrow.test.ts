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
  });

  test.each(["zstd", "lz4"])("decodes %s-compressed IPC sent by pyarrow", async (codec) => {
    const out = await flightPython(
      server.url,
      `${MIXED_TABLE}
t = mixed(200_000)
opts = fl.FlightCallOptions(write_options=pa.ipc.IpcWriteOptions(compression="${codec}"))
put(["compressed", "${codec}"], t, chunk=50_000, options=opts)
info, back = get(["compressed", "${codec}"])
print(json.dumps({"rows": back.num_rows, "equal": back.equals(t)}))
`,
    );
    expect(lastJson(out)).toEqual({ rows: 200_000, equal: true });
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
    expect(result.actions).toEqual(["drop", "history", "register", "set-metadata", "vacuum"]);
    expect(result.described).toBe(true);
    expect(result.meta).toMatchObject({ description: "demo data", tags: { team: "ml" }, properties: { owner: "me" } });
    expect(result.history).toEqual([
      [2, null, expect.stringMatching(/TBLPROPERTIES|METADATA/i)],
      [1, 1, "WRITE"],
      [0, 2, "CREATE TABLE"],
    ]);
    expect(result.gone).toMatch(/^FlightNotFound|KeyError/);
  });
});
