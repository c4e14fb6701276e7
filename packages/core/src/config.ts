import { isAbsolute } from "node:path";
import { z } from "zod";

/** Flight service settings. */
export const serverConfigSchema = z.object({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(50051),
  /** When set, every call must present this bearer token. */
  token: z.string().min(1).optional(),
});

/** Storage settings: where datasets live. */
export const storageConfigSchema = z.object({
  /** Root folder (or URL) under which every dataset's Delta table lives. Relative to the workspace. */
  dataRoot: z.string().default("data"),
});

/** Query engine settings. */
export const queryConfigSchema = z.object({
  /** Per-query time limit in milliseconds. */
  timeoutMs: z.number().int().positive().default(300_000),
  /**
   * Memory the SQL engine may use before it spills to disk, in DuckDB's notation ("4GB", "512MiB"). Unset: DuckDB's
   * default, 80% of the machine's memory.
   */
  memoryLimit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'a size such as "4GB" or "512MiB"')
    .optional(),
  /** Threads the SQL engine runs a query on. Unset: one per core. */
  threads: z.number().int().positive().optional(),
  /**
   * Absolute folder under which large sorts, joins and aggregates spill (into a fresh subfolder per engine instance,
   * removed when it closes). Unset: the system's temp directory.
   */
  tempDirectory: z.string().refine(isAbsolute, "an absolute path").optional(),
});

/** Logging settings. */
export const logConfigSchema = z.object({
  level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  /** "json" for machines; "pretty" for a terminal. Unset: pretty when stderr is a TTY. */
  format: z.enum(["json", "pretty"]).optional(),
});

/**
 * The whole ML Fusion configuration. Layers, lowest first: defaults, the workspace file
 * (`.mlfusion/config.json`), `FF_*` environment variables, CLI flags. Parsed once, in the CLI.
 */
export const fusionConfigSchema = z.object({
  server: serverConfigSchema.default(serverConfigSchema.parse({})),
  storage: storageConfigSchema.default(storageConfigSchema.parse({})),
  query: queryConfigSchema.default(queryConfigSchema.parse({})),
  log: logConfigSchema.default(logConfigSchema.parse({})),
});

export type FusionConfig = z.infer<typeof fusionConfigSchema>;
export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type StorageConfig = z.infer<typeof storageConfigSchema>;
export type QueryConfig = z.infer<typeof queryConfigSchema>;
export type LogConfig = z.infer<typeof logConfigSchema>;
