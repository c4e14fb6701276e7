import type { FusionConfig } from "@mlfusion/core";
import { type ConfigFlags, loadConfig } from "./load-config.js";
import { findWorkspace, type Workspace } from "./workspace.js";

/** What every command receives: where it runs, its output streams, and a way to load configuration. */
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** The workspace, if one exists for cwd (project at the git root, else global). */
  workspace(): Workspace | undefined;
  /** Loads layered configuration: defaults, workspace file, FF_* variables, then these flags. */
  config(flags?: ConfigFlags): Promise<FusionConfig>;
  /** Prints one line of command output to stdout. */
  print(line: string): void;
}

/** Builds the context for a real process. */
export function createCliContext(proc: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: string;
  stdout: CliContext["stdout"];
  stderr: CliContext["stderr"];
}): CliContext {
  const workspace = () => findWorkspace(proc.cwd, proc.home);
  return {
    ...proc,
    workspace,
    config: (flags) => loadConfig(workspace(), proc.env, flags),
    print: (line) => {
      proc.stdout.write(`${line}\n`);
    },
  };
}
