import { createTempDir, runPython, type TempDir } from "@mlfusion/testing";
import { RecordBatchReader } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalObjectStore, DeltaTable, writeDeltaTable } from "../src/index.js";

describe("writing dictionary-encoded columns", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("dict-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("writes dictionaries of large strings and of integers, and dictionaries grown by IPC deltas", async () => {
    // pandas categoricals arrive as dictionary<large_string>; pyarrow streams emit dictionary deltas.
    const { stdout } = await runPython(
      [
        "import sys, base64, pyarrow as pa, pyarrow.ipc as ipc",
        "sink = pa.BufferOutputStream()",
        "schema = pa.schema([('cat', pa.dictionary(pa.int32(), pa.large_string())), ('code', pa.dictionary(pa.int8(), pa.int64()))])",
        "w = ipc.new_stream(sink, schema, options=ipc.IpcWriteOptions(emit_dictionary_deltas=True))",
        "w.write_batch(pa.record_batch([pa.array(['a', 'b', None, 'a']).cast(pa.large_string()).dictionary_encode(), pa.array([10, 20, 10, None]).dictionary_encode().cast(pa.dictionary(pa.int8(), pa.int64()))], schema=schema))",
        "w.write_batch(pa.record_batch([pa.array(['c', 'a']).cast(pa.large_string()).dictionary_encode(), pa.array([30, 10]).dictionary_encode().cast(pa.dictionary(pa.int8(), pa.int64()))], schema=schema))",
        "w.close()",
        "sys.stdout.write(base64.b64encode(sink.getvalue().to_pybytes()).decode())",
      ].join("\n"),
    );
    const reader = RecordBatchReader.from(Buffer.from(stdout, "base64"));
    const store = createLocalObjectStore(dir.path);
    const result = await writeDeltaTable(store, reader, { mode: "error" });
    expect(result.numRows).toBe(6);
    const rows: unknown[] = [];
    for await (const batch of (await DeltaTable.open(store)).scan()) {
      for (let i = 0; i < batch.numRows; i++) {
        const code = batch.getChild("code")?.get(i);
        rows.push([batch.getChild("cat")?.get(i), code === null ? null : Number(code)]);
      }
    }
    expect(rows).toEqual([
      ["a", 10],
      ["b", 20],
      [null, 10],
      ["a", null],
      ["c", 30],
      ["a", 10],
    ]);
    const check = await runPython(
      "import sys, deltalake; print(deltalake.DeltaTable(sys.argv[1]).to_pyarrow_table().column('cat').to_pylist())",
      [dir.path],
    );
    expect(check.stdout.trim()).toBe("['a', 'b', None, 'a', 'c', 'a']");
  });
});
