// Bad input gets a clear status and the server keeps serving.
import { readdirSync } from "node:fs";
import { dirname } from "node:path";
import { type FusionServer, startFusionServer } from "@mlfusion/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { flightPython, lastJson } from "./python-flight.js";

let server: FusionServer;
beforeAll(async () => {
  server = await startFusionServer({ maxReceiveMessageBytes: 1024 * 1024 });
});
afterAll(async () => {
  await server.close();
});

const STILL_SERVING = `
put(["ok", "after"], pa.table({"v": [1]}))
print(json.dumps({"errors": errors, "serving": get(["ok", "after"])[1].num_rows >= 1}))
`;

test("answers malformed descriptors and tickets with INVALID_ARGUMENT", async () => {
  const out = await flightPython(
    server.url,
    `
errors = {
  "info": error_of(lambda: client.get_flight_info(fl.FlightDescriptor.for_command(b"\\xff\\xff\\xff"))),
  "schema": error_of(lambda: client.get_schema(fl.FlightDescriptor.for_command(b"\\x0a\\x05\\x0a"))),
  "ticket": error_of(lambda: client.do_get(fl.Ticket(b"\\xff\\x00\\x01garbage")).read_all()),
  "empty_ticket": error_of(lambda: client.do_get(fl.Ticket(b"")).read_all()),
  "put_cmd": error_of(lambda: put_cmd(b"\\xff\\xfe")),
}
def put_cmd(cmd):
    w, r = client.do_put(fl.FlightDescriptor.for_command(cmd), pa.schema([("a", pa.int64())]))
    w.write_table(pa.table({"a": [1]}))
    w.close()
errors["put_cmd"] = error_of(lambda: put_cmd(b"\\xff\\xfe"))
${STILL_SERVING}`,
  );
  const { errors, serving } = lastJson<{ errors: Record<string, string>; serving: boolean }>(out);
  for (const message of Object.values(errors)) expect(message).toMatch(/^ArrowInvalid: .*invalid argument/);
  expect(errors.info).toContain("not a valid");
  expect(errors.ticket).toContain("ticket");
  expect(serving).toBe(true);
});

test("answers an unknown dataset with NOT_FOUND on every read RPC", async () => {
  const out = await flightPython(
    server.url,
    `
d = fl.FlightDescriptor.for_path("nope", "missing")
errors = {
  "info": error_of(lambda: client.get_flight_info(d)),
  "schema": error_of(lambda: client.get_schema(d)),
  "get": error_of(lambda: client.do_get(fl.Ticket(b"nope/missing")).read_all()),
  "drop": error_of(lambda: list(client.do_action(fl.Action("drop", b'{"key": "nope/missing"}')))),
}
${STILL_SERVING}`,
  );
  const { errors } = lastJson<{ errors: Record<string, string> }>(out);
  for (const message of Object.values(errors)) {
    expect(message).toMatch(/^ArrowKeyError: .*not found.*nope\/missing does not exist/s);
  }
});

test("rejects an append whose schema does not match with INVALID_ARGUMENT naming the columns", async () => {
  const out = await flightPython(
    server.url,
    `
put(["schema", "mismatch"], pa.table({"a": [1], "b": ["x"]}))
errors = {"append": error_of(lambda: put(["schema", "mismatch"], pa.table({"a": ["not an int"], "c": [1.0]})))}
${STILL_SERVING}`,
  );
  const { errors, serving } = lastJson<{ errors: Record<string, string>; serving: boolean }>(out);
  expect(errors.append).toMatch(/^ArrowInvalid/);
  expect(errors.append).toContain("column a is Utf8 but the dataset has Int64");
  expect(errors.append).toContain("missing column b");
  expect(errors.append).toContain("unexpected column c");
  expect(serving).toBe(true);
});

test("rejects asset keys with '..', separators, empty or over-long segments", async () => {
  const out = await flightPython(
    server.url,
    `
bad = [["..", "x"], ["a", ".."], ["a/b", "c"], ["a\\\\b"], ["", "x"], ["x" * 300], [".hidden"], []]
errors = {json.dumps(k): error_of(lambda k=k: put(k, pa.table({"v": [1]}))) for k in bad}
errors["info"] = error_of(lambda: client.get_flight_info(fl.FlightDescriptor.for_path("..", "..", "etc")))
errors["ticket"] = error_of(lambda: client.do_get(fl.Ticket(b"../../etc/passwd")).read_all())
${STILL_SERVING}`,
  );
  const { errors, serving } = lastJson<{ errors: Record<string, string>; serving: boolean }>(out);
  expect(Object.keys(errors)).toHaveLength(10);
  // Nothing was created beside the data root (the temporary workspace holds only it).
  expect(readdirSync(dirname(server.dataRoot))).toEqual(["data"]);
  for (const [key, message] of Object.entries(errors)) {
    expect(message, key).toMatch(/^ArrowInvalid: .*(asset key|ticket)/);
  }
  expect(serving).toBe(true);
});

test("answers an unknown action with UNIMPLEMENTED and a malformed action body with INVALID_ARGUMENT", async () => {
  const out = await flightPython(
    server.url,
    `
errors = {
  "unknown": error_of(lambda: list(client.do_action(fl.Action("explode", b"{}")))),
  "body": error_of(lambda: list(client.do_action(fl.Action("history", b"not json")))),
  "nokey": error_of(lambda: list(client.do_action(fl.Action("history", b"{}")))),
}
${STILL_SERVING}`,
  );
  const { errors, serving } = lastJson<{ errors: Record<string, string>; serving: boolean }>(out);
  expect(errors.unknown).toMatch(/^ArrowNotImplementedError: .*Unknown action type "explode"; ListActions names/);
  expect(errors.body).toMatch(/^ArrowInvalid: .*not JSON/);
  expect(errors.nokey).toMatch(/^ArrowInvalid: .*"key"/);
  expect(serving).toBe(true);
});

test("rejects a message over the size limit with RESOURCE_EXHAUSTED", async () => {
  const out = await flightPython(
    server.url,
    `
big = pa.table({"x": pa.array(np.zeros(400_000, dtype=np.float64))})
errors = {"big": error_of(lambda: put(["too", "big"], big))}
errors["listed"] = str([f.descriptor.path for f in client.list_flights(b"too")])
${STILL_SERVING}`,
  );
  const { errors, serving } = lastJson<{ errors: Record<string, string>; serving: boolean }>(out);
  expect(errors.big).toMatch(/over the limit of 1048576/);
  expect(errors.listed).toBe("[]");
  expect(serving).toBe(true);
});

test("refuses a dataset inside another dataset, or over an area holding datasets, and loses no data", async () => {
  const out = await flightPython(
    server.url,
    `
put(["nest", "outer"], pa.table({"v": [1, 2]}))
put(["nest", "area", "inner"], pa.table({"v": [3]}))
errors = {
  "inside": error_of(lambda: put(["nest", "outer", "child"], pa.table({"v": [9]}))),
  "over_area": error_of(lambda: put(["nest", "area"], pa.table({"v": [9]}))),
}
print(json.dumps({"errors": errors, "outer": get(["nest", "outer"])[1].num_rows, "inner": get(["nest", "area", "inner"])[1].num_rows}))
`,
  );
  const result = lastJson<{ errors: Record<string, string>; outer: number; inner: number }>(out);
  expect(result.errors.inside).toMatch(/^ArrowInvalid: .*cannot be created inside dataset nest\/outer/);
  expect(result.errors.over_area).toMatch(/^ArrowInvalid: .*nest\/area is an area holding nest\/area\/inner/);
  expect(result.outer).toBe(2);
  expect(result.inner).toBe(1);
});
