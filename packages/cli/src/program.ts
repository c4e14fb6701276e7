import { Command } from "commander";
import type { CliContext } from "./cli-context.js";
import { registerDatasetsCommands } from "./commands/datasets.js";
import { registerDeltaCommands } from "./commands/delta.js";
import { registerEnvCommands } from "./commands/env.js";
import { registerQueryCommands } from "./commands/query.js";
import { registerStartFlightCommands } from "./commands/start-flight.js";

/** Builds the `fusion` command tree for a context. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command("fusion")
    .description("ML Fusion: datasets on Delta Lake served over Arrow Flight.")
    .showHelpAfterError()
    .exitOverride();
  program.configureOutput({
    writeOut: (s) => ctx.stdout.write(s),
    writeErr: (s) => ctx.stderr.write(s),
  });
  registerEnvCommands(program, ctx);
  registerStartFlightCommands(program, ctx);
  registerDatasetsCommands(program, ctx);
  registerQueryCommands(program, ctx);
  registerDeltaCommands(program, ctx);
  return program;
}
