import { toFusionError } from "@mlfusion/core";
import { CommanderError } from "commander";
import type { CliContext } from "./cli-context.js";
import { exitCodeFor } from "./exit-codes.js";
import { createProgram } from "./program.js";

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code. Failures print one line that
 * says what went wrong and what to do; `FF_DEBUG=1` adds the stack.
 */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  const program = createProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit with 0; usage errors were already printed by commander.
      return error.exitCode;
    }
    const fusionError = toFusionError(error);
    ctx.stderr.write(`error: ${fusionError.message}\n`);
    if (ctx.env.FF_DEBUG) ctx.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    return exitCodeFor(fusionError.code);
  }
}
