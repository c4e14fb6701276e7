import { type Logger, pino } from "pino";
import type { LogConfig } from "./config.js";

export type { Logger } from "pino";

/**
 * Creates the process logger. Logs go to stderr so that stdout stays free for command output.
 *
 * @example
 * const logger = createLogger({ level: "info" });
 * logger.child({ component: "flight" }).info("listening");
 */
export function createLogger(config: Partial<LogConfig> = {}, pretty = false): Logger {
  const level = config.level ?? "info";
  const usePretty = config.format === "pretty" || (config.format === undefined && pretty);
  if (usePretty) {
    return pino({
      level,
      transport: { target: "pino-pretty", options: { destination: 2, colorize: true } },
    });
  }
  return pino({ level }, pino.destination(2));
}

/** A logger that discards everything: the default for library code that was given none. */
export function createSilentLogger(): Logger {
  return pino({ level: "silent" });
}
