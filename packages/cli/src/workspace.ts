import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
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

/**
 * Deletes every dataset of the workspace: each folder under the data root that holds a Delta table
 * (`_delta_log/`), the external-table registry, then the area folders left empty. Nothing else is touched, and a
 * data root that is the file-system root, the home folder, or the workspace or one of its ancestors is refused.
 * Returns the dataset folders removed.
 */
export async function clearWorkspace(
  workspace: Workspace,
  dataRoot: string,
  home: string = homedir(),
): Promise<string[]> {
  const root = resolve(workspace.dir, dataRoot);
  const workspaceDir = resolve(workspace.dir);
  const unsafe =
    root === dirname(root) ||
    root === resolve(home) ||
    workspaceDir === root ||
    workspaceDir.startsWith(`${root}${sep}`);
  if (unsafe) {
    throw new InvalidArgumentError(
      `Refusing to clear ${root}: the data root must be a folder of its own, not the workspace, one of its parents, your home or the file-system root; fix storage.dataRoot / FF_DATA_ROOT.`,
    );
  }
  const datasets: string[] = [];
  await findTables(root, datasets);
  for (const dir of datasets) await rm(dir, { recursive: true, force: true });
  await rm(join(root, ".registry.json"), { force: true });
  await removeEmptyFolders(root, root);
  await mkdir(root, { recursive: true });
  return datasets;
}

async function findTables(dir: string, out: string[]): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error instanceof Error && "code" in error && (error.code === "ENOENT" || error.code === "ENOTDIR")) return;
    throw error;
  }
  if (entries.some((e) => e.isDirectory() && e.name === "_delta_log")) {
    out.push(dir);
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.isSymbolicLink()) await findTables(join(dir, entry.name), out);
  }
}

async function removeEmptyFolders(dir: string, root: string): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && !entry.isSymbolicLink()) await removeEmptyFolders(join(dir, entry.name), root);
  }
  if (dir !== root && (await readdir(dir)).length === 0) await rmdir(dir);
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
