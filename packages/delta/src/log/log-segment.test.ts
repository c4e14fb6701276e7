import { CorruptTableError, NotFoundError } from "@mlfusion/core";
import { createTempDir } from "@mlfusion/testing";
import { describe, expect, it } from "vitest";
import { createLocalObjectStore } from "../storage/local-object-store.js";
import { buildLogSegment, completeCheckpoints, parseLogFile, versionPrefix } from "./log-segment.js";

const meta = (name: string) => ({ path: `_delta_log/${name}`, size: 1, lastModified: 0 });

describe("log segment", () => {
  it("recognises commits, classic, multi-part and V2 checkpoints and ignores other files", () => {
    expect(parseLogFile(meta(`${versionPrefix(3)}.json`))).toMatchObject({ kind: "commit", version: 3 });
    expect(parseLogFile(meta(`${versionPrefix(10)}.checkpoint.parquet`))).toMatchObject({
      kind: "checkpoint",
      version: 10,
    });
    expect(parseLogFile(meta(`${versionPrefix(10)}.checkpoint.0000000001.0000000002.parquet`))).toMatchObject({
      part: { index: 1, count: 2 },
    });
    expect(
      parseLogFile(meta(`${versionPrefix(2)}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json`)),
    ).toMatchObject({ kind: "checkpoint", v2: true });
    expect(parseLogFile(meta(`${versionPrefix(0)}.${versionPrefix(5)}.compacted.json`))).toBeUndefined();
    expect(parseLogFile(meta("_sidecars/abc.parquet"))).toBeUndefined();
  });

  it("uses only complete multi-part checkpoints", () => {
    const files = [
      `${versionPrefix(5)}.checkpoint.parquet`,
      `${versionPrefix(10)}.checkpoint.0000000001.0000000002.parquet`,
      `${versionPrefix(10)}.checkpoint.0000000002.0000000002.parquet`,
      `${versionPrefix(20)}.checkpoint.0000000001.0000000003.parquet`,
      `${versionPrefix(20)}.checkpoint.0000000003.0000000003.parquet`,
    ].flatMap((n) => {
      const f = parseLogFile(meta(n));
      return f === undefined ? [] : [f];
    });
    const complete = completeCheckpoints(files);
    expect(complete.map((c) => [c.version, c.kind, c.files.length])).toEqual([
      [10, "multi-part", 2],
      [5, "classic", 1],
    ]);
  });

  it("builds the segment from the newest usable checkpoint and checks contiguity", async () => {
    const dir = await createTempDir("segment-");
    try {
      const store = createLocalObjectStore(dir.path);
      const put = (name: string) => store.put(`_delta_log/${name}`, new Uint8Array([123, 125, 10]));
      for (let v = 0; v <= 12; v++) await put(`${versionPrefix(v)}.json`);
      await put(`${versionPrefix(10)}.checkpoint.0000000001.0000000002.parquet`); // incomplete: ignored
      await put(`${versionPrefix(5)}.checkpoint.parquet`);
      await store.put("_delta_log/_last_checkpoint", new TextEncoder().encode('{"version":10,"size":3,"parts":2}'));
      const latest = await buildLogSegment(store);
      expect(latest.version).toBe(12);
      expect(latest.checkpoint?.version).toBe(5);
      expect(latest.commits.map((c) => c.version)).toEqual([6, 7, 8, 9, 10, 11, 12]);
      const v3 = await buildLogSegment(store, { version: 3 });
      expect(v3.checkpoint).toBeUndefined();
      expect(v3.commits).toHaveLength(4);
      await expect(buildLogSegment(store, { version: 13 })).rejects.toBeInstanceOf(NotFoundError);
      await store.delete(`_delta_log/${versionPrefix(8)}.json`);
      await expect(buildLogSegment(store)).rejects.toBeInstanceOf(CorruptTableError);
      // Versions before a cleaned-up log are gone, not corrupt.
      for (let v = 0; v <= 4; v++) await store.delete(`_delta_log/${versionPrefix(v)}.json`);
      await expect(buildLogSegment(store, { version: 2 })).rejects.toBeInstanceOf(NotFoundError);
    } finally {
      await dir.close();
    }
  });
});
