import { createTempDir, type TempDir } from "@mlfusion/testing";
import { tableFromArrays } from "apache-arrow";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalObjectStore, DeltaTable, readHistory, writeDeltaTable } from "../src/index.js";

describe("readHistory", () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await createTempDir("history-");
  });
  afterEach(async () => {
    await dir.close();
  });

  it("reports commit times that timestamp time travel resolves to the same versions", async () => {
    const store = createLocalObjectStore(dir.path);
    for (let i = 0; i < 4; i++) {
      await writeDeltaTable(store, tableFromArrays({ id: Int32Array.from([i]) }), { mode: "append" });
    }
    const history = await readHistory(store);
    expect(history.map((e) => e.version)).toEqual([3, 2, 1, 0]);
    for (const entry of history) {
      expect(entry.operation).toBe(entry.version === 0 ? "CREATE TABLE" : "WRITE");
      expect(typeof entry.commitTime).toBe("number");
      const table = await DeltaTable.open(store, { timestamp: entry.timestamp });
      expect(table.version).toBe(entry.version);
    }
    const times = history.map((e) => e.timestamp).reverse();
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
    expect(await readHistory(store, { limit: 1 })).toEqual([history[0]]);
  });
});
