import { type FusionConfig, fusionConfigSchema, InvalidArgumentError } from "@mlfusion/core";
import { readWorkspaceConfig, type Workspace } from "./workspace.js";

/** Configuration overrides given as CLI flags, already typed. */
export interface ConfigFlags {
  host?: string;
  port?: number;
  token?: string;
  logLevel?: string;
}

/**
 * Loads the configuration in layers, lowest first: defaults, the workspace's config.json, `FF_*` environment
 * variables (the original ML Fusion prefix), then CLI flags. This is the only place that reads the environment.
 */
export async function loadConfig(
  workspace: Workspace | undefined,
  env: NodeJS.ProcessEnv,
  flags: ConfigFlags = {},
): Promise<FusionConfig> {
  const fromFile = workspace === undefined ? {} : await readWorkspaceConfig(workspace);
  const merged = deepMerge(isObject(fromFile) ? fromFile : {}, envLayer(env), flagLayer(flags));
  const parsed = fusionConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new InvalidArgumentError(
      `Invalid configuration (${problems}); fix the workspace config.json or FF_* variables.`,
    );
  }
  return parsed.data;
}

function envLayer(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const server: Record<string, unknown> = {};
  const storage: Record<string, unknown> = {};
  const log: Record<string, unknown> = {};
  if (env.FF_HOST) server.host = env.FF_HOST;
  if (env.FF_PORT) server.port = parsePort(env.FF_PORT, "FF_PORT");
  if (env.FF_TOKEN) server.token = env.FF_TOKEN;
  if (env.FF_DATA_ROOT) storage.dataRoot = env.FF_DATA_ROOT;
  if (env.FF_LOG_LEVEL) log.level = env.FF_LOG_LEVEL;
  return { server, storage, log };
}

function flagLayer(flags: ConfigFlags): Record<string, unknown> {
  const server: Record<string, unknown> = {};
  if (flags.host !== undefined) server.host = flags.host;
  if (flags.port !== undefined) server.port = flags.port;
  if (flags.token !== undefined) server.token = flags.token;
  const log: Record<string, unknown> = {};
  if (flags.logLevel !== undefined) log.level = flags.logLevel;
  return { server, log };
}

/** Parses a TCP port given on the command line or in the environment. */
export function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`${name} must be a port number between 0 and 65535, got ${JSON.stringify(value)}.`);
  }
  return port;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepMerge(...layers: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      const existing = out[k];
      out[k] = isObject(existing) && isObject(v) ? deepMerge(existing, v) : v;
    }
  }
  return out;
}
