import { join } from "node:path";
import type { Logger } from "@mlfusion/core";
import { createDeltaCatalog, createQueryEngine } from "@mlfusion/query";
import { createDeltaDatasetCatalog, startFlightServer } from "@mlfusion/server";
import { createTempDir } from "./temp-dir.js";

/** A running ML Fusion server over a temporary workspace. */
export interface FusionServer {
  /** `grpc://127.0.0.1:PORT`, for pyarrow.flight.connect. */
  url: string;
  host: string;
  port: number;
  /** The data root: one Delta table per dataset below it. */
  dataRoot: string;
  /** Stops the server (gracefully) and deletes the workspace. */
  close(): Promise<void>;
}

/**
 * Starts the Flight server (with the SQL engine) on a free port over a fresh temporary workspace; ready when it
 * resolves.
 *
 * @example
 * const server = await startFusionServer();
 * try { const client = new FusionServiceClient({ host: server.host, port: server.port }); ... }
 * finally { await server.close(); }
 */
export async function startFusionServer(
  options: { token?: string; logger?: Logger; maxReceiveMessageBytes?: number } = {},
): Promise<FusionServer> {
  const workspace = await createTempDir("mlfusion-server-");
  const dataRoot = join(workspace.path, "data");
  const queryEngine = createQueryEngine({
    catalog: createDeltaCatalog({ dataRoot }),
    config: { timeoutMs: 60_000 },
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  try {
    const catalogOptions = options.logger === undefined ? {} : { logger: options.logger };
    const server = await startFlightServer({
      catalog: createDeltaDatasetCatalog(dataRoot, catalogOptions),
      queryEngine,
      host: "127.0.0.1",
      port: 0,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.maxReceiveMessageBytes === undefined
        ? {}
        : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
    });
    return {
      url: server.url,
      host: "127.0.0.1",
      port: server.port,
      dataRoot,
      async close() {
        try {
          await server.close();
          await queryEngine.close();
        } finally {
          await workspace.close();
        }
      },
    };
  } catch (error) {
    await queryEngine.close();
    await workspace.close();
    throw error;
  }
}
