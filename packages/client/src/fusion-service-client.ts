/** FusionServiceClient: the entry point of the TypeScript client. */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "@mlfusion/core";
import { CriteriaSchema, encodeGrpcFrame, FlightInfoSchema } from "@mlfusion/proto";
import type { Table } from "apache-arrow";
import { DatasetClient, runQuery } from "./dataset-client.js";
import { GrpcTransport, type GrpcTransportOptions } from "./grpc-transport.js";

/** Where the server is and how to talk to it. */
export type FusionServiceClientOptions = GrpcTransportOptions;

/** A dataset named the way the original Python client did: areas (namespace) plus name. */
export interface DatasetReference {
  name: string;
  areas?: readonly string[];
}

/**
 * A connection to an ML Fusion Flight server.
 *
 * @example
 * const client = new FusionServiceClient({ host: "127.0.0.1", port: 50051 });
 * const ds = client.getDatasetClient(["demo", "new_dataset"]);
 * console.log((await ds.load()).numRows);
 * await client.close();
 */
export class FusionServiceClient {
  private readonly transport: GrpcTransport;

  constructor(options: FusionServiceClientOptions) {
    this.transport = new GrpcTransport(options);
  }

  /** A client for one dataset, by `{ name, areas }` or by asset key (`["demo", "x"]` or `"demo/x"`). */
  getDatasetClient(dataset: DatasetReference | readonly string[] | string): DatasetClient {
    const key =
      typeof dataset === "string"
        ? dataset.split("/")
        : isKey(dataset)
          ? [...dataset]
          : [...(dataset.areas ?? []), dataset.name];
    if (key.length === 0 || key.some((segment) => segment === "")) {
      throw new InvalidArgumentError(`Invalid asset key ${JSON.stringify(key)}: no segment may be empty.`);
    }
    return new DatasetClient(this.transport, key);
  }

  /** Asset keys of all datasets, optionally under an area prefix such as `["demo"]`. */
  async listDatasets(prefix: readonly string[] = []): Promise<string[][]> {
    const criteria = create(CriteriaSchema, { expression: Buffer.from(prefix.join("/"), "utf8") });
    const keys: string[][] = [];
    for await (const message of this.transport.call("/arrow.flight.protocol.FlightService/ListFlights", [
      [encodeGrpcFrame(toBinary(CriteriaSchema, criteria))],
    ])) {
      const info = fromBinary(FlightInfoSchema, message);
      keys.push([...(info.flightDescriptor?.path ?? [])]);
    }
    return keys;
  }

  /**
   * Runs SQL over several datasets at once, each named in the query by its key's last segment.
   *
   * @example
   * const joined = await client.query("SELECT * FROM a JOIN b USING (id)", [["demo", "a"], ["demo", "b"]]);
   */
  query(
    sql: string,
    datasets: ReadonlyArray<readonly string[]>,
    options: { signal?: AbortSignal } = {},
  ): Promise<Table> {
    const sources = datasets.map((key) => this.getDatasetClient(key).areaSource);
    return runQuery(this.transport, sql, sources, options.signal);
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.transport.close();
  }
}

function isKey(value: DatasetReference | readonly string[]): value is readonly string[] {
  return Array.isArray(value);
}
