import { resolve } from "node:path";
import { InvalidArgumentError } from "@mlfusion/core";
import type { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { clearWorkspace, initWorkspace, requireWorkspace } from "../workspace.js";

/** `fusion env init [--global]` and `fusion env clear`. */
export function registerEnvCommands(program: Command, ctx: CliContext): void {
  const env = program.command("env").description("Manage the ML Fusion workspace (.mlfusion/).");
  env
    .command("init")
    .description("Create the workspace at the git repository's root, or under your home folder with --global.")
    .option("--global", "create the global workspace under your home folder", false)
    .action(async (opts: { global: boolean }) => {
      const { workspace, created } = await initWorkspace({ cwd: ctx.cwd, global: opts.global, home: ctx.home });
      ctx.print(`${created ? "Created" : "Workspace already exists:"} ${workspace.kind} workspace ${workspace.dir}`);
    });
  env
    .command("clear")
    .description("Delete every dataset in the workspace (its configuration is kept).")
    .option("--yes", "do not ask for confirmation", false)
    .action(async (opts: { yes: boolean }) => {
      const workspace = requireWorkspace(ctx.cwd, ctx.home);
      const config = await ctx.config();
      if (!opts.yes) {
        throw new InvalidArgumentError(
          `This deletes every dataset under ${resolve(workspace.dir, config.storage.dataRoot)}; re-run with --yes to confirm.`,
        );
      }
      const removed = await clearWorkspace(workspace, config.storage.dataRoot, ctx.home);
      ctx.print(`Deleted ${removed.length} datasets under ${resolve(workspace.dir, config.storage.dataRoot)}`);
    });
}
