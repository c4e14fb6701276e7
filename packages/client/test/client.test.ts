// The TypeScript client against a real server on port 0.
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from "@mlfusion/core";
import { createMemoryDatasetCatalog, startFlightServer } from "@mlfusion/server";
import { type FusionServer, startFusionServer } from "@mlfusion/testing";
import { type RecordBatch, tableFromArrays } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FusionServiceClient, SaveMode, ServiceUnavailableError, UnauthenticatedError } from "../src/index.js";

let server: FusionServer;
let client: FusionServiceClient;
beforeAll(async () => {
  server = await startFusionServer();
  client = new FusionServiceClient({ host: server.host, port: server.port });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

describe("FusionServiceClient", () => {
  test("writes row objects with writeInto and loads them back as an Arrow Table", async () => {
    const ds = client.getDatasetClient({ name: "rows", areas: ["demo"] });
    const result = await ds.writeInto(
      [
        { id: 1, name: "a", score: 0.5 },
        { id: 2, name: "b", score: null },
      ],
      SaveMode.Overwrite,
    );
    expect(result.numRows).toBe(2);
    const table = await ds.load();
    expect(table.numRows).toBe(2);
    expect(table.toArray().map((r) => r.toJSON())).toEqual([
      { id: 1, name: "a", score: 0.5 },
      { id: 2, name: "b", score: null },
    ]);
  });

  test("accepts the same dataset as { name, areas }, an asset key array or a key string", async () => {
    const a = client.getDatasetClient({ name: "x", areas: ["demo", "sub"] });
    const b = client.getDatasetClient(["demo", "sub", "x"]);
    const c = client.getDatasetClient("demo/sub/x");
    expect(a.assetKey).toEqual(["demo", "sub", "x"]);
    expect(b.assetKey).toEqual(a.assetKey);
    expect(c.assetKey).toEqual(a.assetKey);
  });

  test("appends an Arrow Table and an async iterable of RecordBatches, and streams batches back", async () => {
    const ds = client.getDatasetClient(["demo", "append"]);
    const table = tableFromArrays({ v: Float64Array.from([1, 2, 3]) });
    await ds.writeInto(table, SaveMode.Append);
    async function* batches(): AsyncGenerator<RecordBatch> {
      for (const batch of tableFromArrays({ v: Float64Array.from([4, 5]) }).batches) yield batch;
    }
    await ds.writeInto(batches());
    const seen: number[] = [];
    for await (const batch of ds.stream()) seen.push(...(batch.getChild("v")?.toArray() ?? []));
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  test("loads selected columns and earlier versions", async () => {
    const ds = client.getDatasetClient(["demo", "versions"]);
    await ds.writeInto(tableFromArrays({ a: Int32Array.from([1]), b: Int32Array.from([10]) }), SaveMode.Overwrite);
    await ds.writeInto(tableFromArrays({ a: Int32Array.from([2]), b: Int32Array.from([20]) }), SaveMode.Append);
    const columns = await ds.load({ columns: ["b"] });
    expect(columns.schema.fields.map((f) => f.name)).toEqual(["b"]);
    expect(columns.getChild("b")?.toArray()).toEqual(Int32Array.from([10, 20]));
    const first = await ds.load({ version: 0 });
    expect(first.numRows).toBe(1);
  });

  test("reads schema and metadata, sets metadata, lists history and datasets, and drops", async () => {
    const ds = client.getDatasetClient(["meta", "ds"]);
    await ds.writeInto(tableFromArrays({ k: Int32Array.from([1, 2]) }), SaveMode.Overwrite);
    await ds.writeInto(tableFromArrays({ k: Int32Array.from([3]) }));
    expect((await ds.schema()).fields.map((f) => `${f.name}:${f.type}`)).toEqual(["k:Int32"]);
    await ds.setMetadata({ description: "keys", tags: { team: "ml" }, properties: { owner: "me" } });
    const meta = await ds.metadata();
    expect(meta).toMatchObject({
      name: "ds",
      description: "keys",
      tags: { team: "ml" },
      properties: { owner: "me" },
      totalRecords: 3,
      isVersioned: true,
    });
    const history = await ds.history();
    expect(history.map((h) => [h.version, h.rowsAdded])).toEqual([
      [2, undefined],
      [1, 1],
      [0, 2],
    ]);
    expect(await client.listDatasets(["meta"])).toEqual([["meta", "ds"]]);
    await ds.drop();
    expect(await client.listDatasets(["meta"])).toEqual([]);
    await expect(ds.load()).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("SQL", () => {
  test("queries one dataset by its name and several datasets together", async () => {
    const users = client.getDatasetClient(["sql", "users"]);
    const scores = client.getDatasetClient(["sql", "scores"]);
    await users.writeInto(tableFromArrays({ id: Int32Array.from([1, 2, 3]) }), SaveMode.Overwrite);
    await scores.writeInto(
      tableFromArrays({ id: Int32Array.from([2, 3]), score: Float64Array.from([0.5, 1.5]) }),
      SaveMode.Overwrite,
    );
    const count = await users.query("SELECT count(*) AS n FROM users WHERE id > 1");
    expect(Number(count.getChild("n")?.get(0))).toBe(2);
    const joined = await client.query("SELECT id, score FROM users JOIN scores USING (id) ORDER BY id", [
      ["sql", "users"],
      ["sql", "scores"],
    ]);
    expect(joined.toArray().map((r) => r.toJSON())).toEqual([
      { id: 2, score: 0.5 },
      { id: 3, score: 1.5 },
    ]);
    await expect(users.query("SELECT missing FROM users")).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("typed errors", () => {
  test("NotFoundError for a missing dataset, InvalidArgumentError naming columns, AlreadyExistsError", async () => {
    await expect(client.getDatasetClient(["no", "such"]).schema()).rejects.toBeInstanceOf(NotFoundError);
    const ds = client.getDatasetClient(["err", "x"]);
    await ds.writeInto(tableFromArrays({ a: Int32Array.from([1]) }), SaveMode.Overwrite);
    const mismatch = ds.writeInto(tableFromArrays({ b: Float64Array.from([1]) }));
    await expect(mismatch).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(mismatch).rejects.toThrow(/missing column a.*unexpected column b/);
    await expect(ds.writeInto([{ a: 1 }], SaveMode.ErrorIfExists)).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(client.getDatasetClient(["..", "x"]).load()).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  test("UnauthenticatedError without the token; calls succeed with it", async () => {
    const secured = await startFlightServer({ catalog: createMemoryDatasetCatalog(), port: 0, token: "t0k" });
    const anonymous = new FusionServiceClient({ host: "127.0.0.1", port: secured.port });
    const authorized = new FusionServiceClient({ host: "127.0.0.1", port: secured.port, token: "t0k" });
    try {
      await expect(anonymous.listDatasets()).rejects.toBeInstanceOf(UnauthenticatedError);
      expect(await authorized.listDatasets()).toEqual([]);
    } finally {
      await anonymous.close();
      await authorized.close();
      await secured.close();
    }
  });

  test("ServiceUnavailableError when nothing listens", async () => {
    const gone = await startFlightServer({ catalog: createMemoryDatasetCatalog(), port: 0 });
    const port = gone.port;
    await gone.close();
    const orphan = new FusionServiceClient({ host: "127.0.0.1", port });
    await expect(orphan.listDatasets()).rejects.toBeInstanceOf(ServiceUnavailableError);
    await orphan.close();
  });
});
