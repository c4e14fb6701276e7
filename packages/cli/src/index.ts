export type { CliContext } from "./cli-context.js";
export { createCliContext } from "./cli-context.js";
export { createProgram } from "./program.js";
export { runCli } from "./run-cli.js";
