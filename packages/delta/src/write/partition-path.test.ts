import { tableOf } from "@mlfusion/testing";
import { Utf8, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { escapePathName, formatTimestamp, partitionDirectory, partitionRuns, toAddPath } from "./partition-path.js";

describe("partition paths", () => {
  it("escapes Hive-unsafe characters and URI-encodes add.path", () => {
    expect(escapePathName("a/b=c:d%e")).toBe("a%2Fb%3Dc%3Ad%25e");
    expect(partitionDirectory(["k", "n"], { k: "x y", n: null })).toBe("k=x y/n=__HIVE_DEFAULT_PARTITION__");
    expect(toAddPath("k=a%2Fb/x y/part-0.parquet")).toBe("k=a%252Fb/x%20y/part-0.parquet");
  });

  it("formats timestamps with microseconds, including before 1970", () => {
    expect(formatTimestamp(1_700_000_000_123_456n)).toBe("2023-11-14 22:13:20.123456");
    expect(formatTimestamp(-1n)).toBe("1969-12-31 23:59:59.999999");
  });

  it("groups consecutive rows by partition values, treating empty strings as null", () => {
    const batch = tableOf({
      k: vectorFromArray(["a", "a", "", null, "b"], new Utf8()),
      v: Int32Array.from([1, 2, 3, 4, 5]),
    }).batches[0];
    if (batch === undefined) throw new Error("no batch");
    const runs = partitionRuns(batch, ["k"], new Map([["k", "string"]]));
    expect(runs.map((r) => [r.values.k, r.start, r.end])).toEqual([
      ["a", 0, 2],
      [null, 2, 4],
      ["b", 4, 5],
    ]);
  });
});
