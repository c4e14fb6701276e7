/** startFlightServer: the Flight service, the health service and auth on one gRPC server. */
import { createSilentLogger, type Logger } from "@mlfusion/core";
import type { QueryEngine } from "@mlfusion/query";
import type { DatasetCatalog } from "./dataset-catalog.js";
import { createFlightHandlers } from "./flight-service.js";
import { startGrpcServer } from "./grpc-server.js";
import { createHealthHandlers } from "./health-service.js";

/** Options of {@link startFlightServer}. */
export interface FlightServerOptions {
  /** The datasets to serve: `createDeltaDatasetCatalog(dataRoot)` or, for benchmarks, `createMemoryDatasetCatalog()`. */
  catalog: DatasetCatalog;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 50051; 0 picks a free port. */
  port?: number;
  /** When set, every Flight call must carry `authorization: Bearer <token>` (see Handshake). */
  token?: string;
  /** Largest request message accepted (default 256 MiB); larger ones get RESOURCE_EXHAUSTED. */
  maxReceiveMessageBytes?: number;
  /** Time in-flight calls get to finish on close() before they are cancelled (default 10 s). */
  shutdownGraceMs?: number;
  /**
   * The SQL engine (@mlfusion/query's createQueryEngine) behind CommandExecuteQuery tickets and Flight SQL;
   * without it those answer UNIMPLEMENTED.
   */
  queryEngine?: QueryEngine;
  logger?: Logger;
}

/** A running Flight server. */
export interface FlightServer {
  /** `grpc://host:port`, what pyarrow.flight.connect takes. */
  url: string;
  port: number;
  /** Graceful: stops taking calls, lets in-flight ones (writes included) finish, then closes. */
  close(): Promise<void>;
}

/**
 * Starts the Arrow Flight dataset service.
 *
 * @example
 * const server = await startFlightServer({ catalog: createDeltaDatasetCatalog("/data"), port: 0 });
 * console.log(server.url); // grpc://127.0.0.1:40123
 * await server.close();
 */
export async function startFlightServer(options: FlightServerOptions): Promise<FlightServer> {
  const logger = (options.logger ?? createSilentLogger()).child({ component: "flight" });
  const host = options.host ?? "127.0.0.1";
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let serving = true;
  const flight = createFlightHandlers(options.catalog, options.token, options.queryEngine);
  const handlers = new Map([...flight.handlers, ...createHealthHandlers(() => serving, stopped)]);
  const server = await startGrpcServer({
    host,
    port: options.port ?? 50051,
    handlers,
    maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? 256 * 1024 * 1024,
    logger,
  });
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const url = `grpc://${urlHost}:${server.port}`;
  logger.info({ url, auth: options.token !== undefined }, "flight service listening");
  return {
    url,
    port: server.port,
    async close() {
      serving = false;
      stop();
      await server.close({ graceMs: options.shutdownGraceMs ?? 10_000 });
      flight.close();
      logger.info({ url }, "flight service stopped");
    },
  };
}
