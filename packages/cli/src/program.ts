import { Command } from "commander";

/** Builds the `fusion` command tree. */
export function createProgram(): Command {
  const program = new Command("fusion").description("ML Fusion: datasets, pipelines and models on open formats.");
  return program;
}
