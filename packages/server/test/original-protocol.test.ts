// The original ML Fusion protocol (flight_fusion.ipc.v1alpha1), with messages built in Python from proto/.
import { type FusionServer, startFusionServer } from "@mlfusion/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { flightPython, lastJson } from "./python-flight.js";

let server: FusionServer;
beforeAll(async () => {
  server = await startFusionServer();
});
afterAll(async () => {
  await server.close();
});

const HELPERS = `
def cmd_put(table, request):
    w, r = client.do_put(fl.FlightDescriptor.for_command(request.SerializeToString()), table.schema)
    w.write_table(table)
    w.done_writing()
    meta = r.read()
    w.close()
    update = ff.ResultDoPutUpdate()
    update.ParseFromString(meta.to_pybytes())
    return update

def write_storage(key, table, mode):
    return cmd_put(table, ff.FlightDoPutRequest(storage=ff.CommandWriteIntoDataset(source=source(*key), save_mode=mode)))

def write_delta(key, table, mode, partition_by=(), predicate=None):
    op = ff.DeltaWriteOperation(save_mode=mode, partition_by=list(partition_by))
    if predicate is not None:
        op.predicate = predicate
    return cmd_put(table, ff.FlightDoPutRequest(delta=ff.DeltaOperationRequest(source=source(*key), write=op)))

def read(key, columns=()):
    t = ff.FlightDoGetRequest(read=ff.CommandReadDataset(source=source(*key), column_names=list(columns)))
    return client.do_get(fl.Ticket(t.SerializeToString())).read_all()

def read_delta(key, version=None, timestamp="", predicate="", columns=()):
    op = ff.DeltaReadOperation(timestamp=timestamp, predicate=predicate, column_names=list(columns))
    if version is not None:
        op.version = version
    t = ff.FlightDoGetRequest(delta=ff.DeltaOperationRequest(source=source(*key), read=op))
    return client.do_get(fl.Ticket(t.SerializeToString())).read_all()

def info(key):
    fi = client.get_flight_info(fl.FlightDescriptor.for_command(source(*key).SerializeToString()))
    meta = ff.AreaSourceMetadata()
    meta.ParseFromString(fi.descriptor.command)
    return fi, meta
`;

test("writes with save modes and reads with column selection; ResultDoPutUpdate carries real statistics", async () => {
  const out = await flightPython(
    server.url,
    `${HELPERS}
t = pa.table({"a": [1, 2, None], "b": ["x", "y", "z"]})
u1 = write_storage(["orig", "ds"], t, ff.SAVE_MODE_OVERWRITE)
u2 = write_storage(["orig", "ds"], t, ff.SAVE_MODE_APPEND)
again = error_of(lambda: write_storage(["orig", "ds"], t, ff.SAVE_MODE_ERROR_IF_EXISTS))
whole = read(["orig", "ds"])
only_b = read(["orig", "ds"], ["b"])
fi, meta = info(["orig", "ds"])
print(json.dumps({
  "stats": [u1.statistics.record_count, u1.statistics.total_byte_size > 0, u1.statistics.is_exact,
            [c.null_count for c in u1.statistics.column_statistics]],
  "rows": whole.num_rows, "append_rows": u2.statistics.record_count, "again": again,
  "only_b": only_b.schema.names, "meta": [meta.name, meta.is_versioned, list(meta.source.location.areas), meta.source.location.name],
  "total": fi.total_records,
}))
`,
    { protos: true },
  );
  expect(lastJson(out)).toEqual({
    stats: [3, true, true, [1, 0]],
    rows: 6,
    append_rows: 3,
    again: expect.stringMatching(/^FlightServerError|ArrowException|.*already exists/),
    only_b: ["b"],
    meta: ["ds", true, ["orig"], "ds"],
    total: 6,
  });
});

test("Delta reads honour version, timestamp, predicate and column_names", async () => {
  const out = await flightPython(
    server.url,
    `${HELPERS}
import time, datetime
write_delta(["orig", "tt"], pa.table({"k": [1, 2], "v": ["a", "b"]}), ff.SAVE_MODE_OVERWRITE)
# A moment after version 0 was committed and before version 1 exists (same machine clock as the server).
t0 = datetime.datetime.now(datetime.timezone.utc).isoformat()
write_delta(["orig", "tt"], pa.table({"k": [3], "v": ["c"]}), ff.SAVE_MODE_APPEND)
print(json.dumps({
  "latest": read_delta(["orig", "tt"]).num_rows,
  "v0": read_delta(["orig", "tt"], version=0).num_rows,
  "at_t0": read_delta(["orig", "tt"], timestamp=t0).num_rows,
  "filtered": sorted(read_delta(["orig", "tt"], predicate="k >= 2")["k"].to_pylist()),
  "cols": read_delta(["orig", "tt"], columns=["v"]).schema.names,
}))
`,
    { protos: true },
  );
  expect(lastJson(out)).toEqual({ latest: 3, v0: 2, at_t0: 2, filtered: [2, 3], cols: ["v"] });
});

test("Delta writes honour partition_by and predicate (replaceWhere); drop removes the dataset", async () => {
  const out = await flightPython(
    server.url,
    `${HELPERS}
t = pa.table({"year": [2023, 2023, 2024], "v": [1, 2, 3]})
write_delta(["orig", "parts"], t, ff.SAVE_MODE_OVERWRITE, partition_by=["year"])
write_delta(["orig", "parts"], pa.table({"year": [2024], "v": [30]}), ff.SAVE_MODE_OVERWRITE, predicate="year = 2024")
rows = sorted(zip(*[read(["orig", "parts"])[c].to_pylist() for c in ["year", "v"]]))
dirs = sorted(d for d in os.listdir(sys.argv[3] + "/orig/parts") if d.startswith("year="))
status = [r.body.to_pybytes() for r in client.do_action(fl.Action("drop", ff.FlightActionRequest(drop=ff.CommandDropSource(source=source("orig", "parts"))).SerializeToString()))]
res = ff.ResultActionStatus(); res.ParseFromString(status[0])
print(json.dumps({"rows": rows, "dirs": dirs, "status": res.status, "gone": error_of(lambda: read(["orig", "parts"])),
                  "exists": os.path.exists(sys.argv[3] + "/orig/parts")}))
`,
    { protos: true, args: [server.dataRoot] },
  );
  expect(lastJson(out)).toEqual({
    rows: [
      [2023, 1],
      [2023, 2],
      [2024, 30],
    ],
    dirs: ["year=2023", "year=2024"],
    status: 1,
    gone: expect.stringMatching(/^ArrowKeyError: .*does not exist/),
    exists: false,
  });
});

test("CommandExecuteQuery runs SQL over a source or a collection, naming each by its last key segment", async () => {
  const out = await flightPython(
    server.url,
    `${HELPERS}
write_storage(["q", "users"], pa.table({"id": [1, 2, 3], "a": ["x", "y", "z"]}), ff.SAVE_MODE_OVERWRITE)
write_storage(["q", "scores"], pa.table({"id": [2, 3, 4], "b": [20.0, 30.0, 40.0]}), ff.SAVE_MODE_OVERWRITE)
def query(sql, *keys):
    q = ff.CommandExecuteQuery(query=sql)
    if len(keys) == 1:
        q.source.CopyFrom(source(*keys[0]))
    else:
        q.collection.CopyFrom(ff.SourceCollection(sources=[source(*k) for k in keys]))
    return client.do_get(fl.Ticket(ff.FlightDoGetRequest(query=q).SerializeToString())).read_all()
one = query("SELECT count(*) AS n FROM users WHERE id >= 2", ["q", "users"])
joined = query("SELECT id, a, b FROM users JOIN scores USING (id) ORDER BY id", ["q", "users"], ["q", "scores"])
bad = error_of(lambda: query("SELECT nope FROM users", ["q", "users"]))
print(json.dumps({"one": one["n"].to_pylist(), "joined": joined.to_pylist(), "bad": bad}))
`,
    { protos: true },
  );
  const result = lastJson<{ one: number[]; joined: unknown[]; bad: string }>(out);
  expect(result.one).toEqual([2]);
  expect(result.joined).toEqual([
    { id: 2, a: "y", b: 20 },
    { id: 3, a: "z", b: 30 },
  ]);
  expect(result.bad).toMatch(/^ArrowInvalid: .*nope/);
});
