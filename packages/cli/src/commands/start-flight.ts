import { isIPv4, isIPv6 } from "node:net";
import { createLogger, InvalidArgumentError } from "@mlfusion/core";
import { createDeltaCatalog, createQueryEngine } from "@mlfusion/query";
import { createDeltaDatasetCatalog, startFlightServer } from "@mlfusion/server";
import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { type ConfigFlags, parsePort } from "../load-config.js";
import { resolveDataRoot } from "../workspace.js";

/**
 * `fusion start flight [--host H] [--port P] [--token T] [--insecure-no-auth]`: serves the workspace's datasets over
 * Arrow Flight; a host other than loopback needs a token unless `--insecure-no-auth` says otherwise.
 * Prints one line with the URL once it listens (port 0 picks a free port); logs go to stderr; SIGINT/SIGTERM
 * shut it down gracefully, finishing in-flight writes.
 */
export function registerStartFlightCommands(program: Command, ctx: CliContext): void {
  const start =
    program.commands.find((command) => command.name() === "start") ??
    program.command("start").description("Start ML Fusion services.");
  start
    .command("flight")
    .description("Serve the workspace's datasets over Arrow Flight (default 127.0.0.1:50051).")
    .option("--host <host>", "interface to listen on (FF_HOST)")
    .option("--port <port>", "port to listen on, 0 for a free one (FF_PORT)")
    .option("--token <token>", "require this bearer token on every call (FF_TOKEN)")
    .option("--insecure-no-auth", "allow a non-loopback host without a token: anyone who can reach it may drop data")
    .action(async (opts: { host?: string; port?: string; token?: string; insecureNoAuth?: boolean }) => {
      const flags: ConfigFlags = {};
      if (opts.host !== undefined) flags.host = opts.host;
      if (opts.port !== undefined) flags.port = parsePort(opts.port, "--port");
      if (opts.token !== undefined) flags.token = opts.token;
      const config = await ctx.config(flags);
      if (config.server.token === undefined && !isLoopback(config.server.host) && opts.insecureNoAuth !== true) {
        throw new InvalidArgumentError(
          `Refusing to listen on ${config.server.host} without a token: anyone who can reach it could read, overwrite and drop datasets; pass --token (or set FF_TOKEN), listen on 127.0.0.1, or pass --insecure-no-auth to accept the risk.`,
        );
      }
      const dataRoot = resolveDataRoot(ctx.workspace(), config.storage.dataRoot);
      const logger = createLogger(config.log, ctx.stderr.isTTY === true);
      const queryEngine = createQueryEngine({
        catalog: createDeltaCatalog({ dataRoot }),
        config: config.query,
        logger,
      });
      const server = await startFlightServer({
        catalog: createDeltaDatasetCatalog(dataRoot, { logger }),
        queryEngine,
        host: config.server.host,
        port: config.server.port,
        ...(config.server.token === undefined ? {} : { token: config.server.token }),
        logger,
      });
      ctx.print(server.url);
      await new Promise<void>((resolveStop) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          logger.info({ signal }, "shutting down: finishing in-flight calls");
          resolveStop();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await server.close();
      await queryEngine.close();
    });
}

/** True for hosts only this machine can reach: localhost, 127.0.0.0/8 and ::1 (also IPv4-mapped or bracketed). */
function isLoopback(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (name === "localhost") return true;
  if (isIPv4(name)) return name.startsWith("127.");
  if (!isIPv6(name)) return false;
  if (name === "::1" || name === "0:0:0:0:0:0:0:1") return true;
  const mapped = name.startsWith("::ffff:") ? name.slice("::ffff:".length) : "";
  return isIPv4(mapped) && mapped.startsWith("127.");
}
