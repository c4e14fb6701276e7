import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { FusionError, InvalidArgumentError, NotFoundError } from "@mlfusion/core";

/** The workspace folder name, at the git repository's root (project workspace) or in the home folder (global). */
export const WORKSPACE_DIR = ".mlfusion";
/** The workspace's configuration file, inside the workspace folder. */
export const CONFIG_FILE = "config.json";

/** A located workspace. */
export interface Workspace {
  /** The `.mlfusion` folder. */
  dir: string;
  /** "project" (inside a git repository) or "global" (under the user's home). */
  kind: "project" | "global";
}

/** Finds the root of the git repository containing `cwd`, or undefined. */
export function findGitRoot(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    if (existsSync(join(dir, ".git"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Locates the active workspace: the project workspace at the git root when it exists, else the global one
 * under `home`, else undefined.
 */
export function findWorkspace(cwd: string, home: string = homedir()): Workspace | undefined {
  const gitRoot = findGitRoot(cwd);
  if (gitRoot !== undefined && existsSync(join(gitRoot, WORKSPACE_DIR))) {
    return { dir: join(gitRoot, WORKSPACE_DIR), kind: "project" };
  }
  const global = join(home, WORKSPACE_DIR);
  if (existsSync(global)) return { dir: global, kind: "global" };
  return undefined;
}

const DEFAULT_WORKSPACE_CONFIG = {
  server: { host: "127.0.0.1", port: 50051 },
  storage: { dataRoot: "data" },
};

const WORKSPACE_GITIGNORE = `# ML Fusion workspace: data and logs stay out of git; config.json may be committed.
data/
logs/
*.tmp
`;

/**
 * Creates a workspace (config file, data folder, .gitignore). Project workspaces live at the git root and
 * require a git repository; global ones live under the user's home. Existing files are kept.
 */
export async function initWorkspace(options: { cwd: string; global: boolean; home?: string }): Promise<{
  workspace: Workspace;
  created: boolean;
}> {
  let dir: string;
  let kind: Workspace["kind"];
  if (options.global) {
    dir = join(options.home ?? homedir(), WORKSPACE_DIR);
    kind = "global";
  } else {
    const gitRoot = findGitRoot(options.cwd);
    if (gitRoot === undefined) {
      throw new InvalidArgumentError(
        `${options.cwd} is not inside a git repository; run \`git init\` first, or use \`fusion env init --global\` for a workspace in your home folder.`,
      );
    }
    dir = join(gitRoot, WORKSPACE_DIR);
    kind = "project";
  }
  const created = !existsSync(dir);
  await mkdir(join(dir, "data"), { recursive: true });
  const configPath = join(dir, CONFIG_FILE);
  if (!existsSync(configPath)) {
    await writeFile(configPath, `${JSON.stringify(DEFAULT_WORKSPACE_CONFIG, null, 2)}\n`);
  }
  const gitignore = join(dir, ".gitignore");
  if (!existsSync(gitignore)) await writeFile(gitignore, WORKSPACE_GITIGNORE);
  return { workspace: { dir, kind }, created };
}

/** Removes the workspace's data (every dataset) but keeps its configuration. */
export async function clearWorkspace(workspace: Workspace, dataRoot: string): Promise<void> {
  const root = resolve(workspace.dir, dataRoot);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
}

/** Reads the workspace's config file as untyped JSON (validated by the config loader). */
export async function readWorkspaceConfig(workspace: Workspace): Promise<unknown> {
  const path = join(workspace.dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return {};
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FusionError(
      "INVALID_ARGUMENT",
      `${path} is not valid JSON; fix it or delete it and run \`fusion env init\`.`,
      {
        cause: error,
      },
    );
  }
}

/** The workspace, or a NotFoundError telling the user to create one. */
export function requireWorkspace(cwd: string, home?: string): Workspace {
  const workspace = findWorkspace(cwd, home);
  if (workspace === undefined) {
    throw new NotFoundError(
      "No ML Fusion workspace found; run `fusion env init` in your git repository (or `fusion env init --global`).",
    );
  }
  return workspace;
}

/**
 * The folder holding the datasets: the configured data root inside the workspace, or, with no workspace, an
 * absolute data root given directly (`FF_DATA_ROOT=/srv/mlfusion/data`), so servers can run outside a repository.
 */
export function resolveDataRoot(workspace: Workspace | undefined, dataRoot: string): string {
  if (workspace !== undefined) return resolve(workspace.dir, dataRoot);
  if (isAbsolute(dataRoot)) return dataRoot;
  throw new NotFoundError(
    "No ML Fusion workspace found; run `fusion env init` in your git repository (or `fusion env init --global`), or set FF_DATA_ROOT to an absolute folder.",
  );
}
