#!/usr/bin/env node
import { homedir } from "node:os";
import { createCliContext } from "./cli-context.js";
import { runCli } from "./run-cli.js";

// A reader that stops reading our output (`fusion ... | head`, a test that only wanted the ready line) must not
// crash a running server: further output is simply dropped.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

const ctx = createCliContext({
  cwd: process.cwd(),
  env: process.env,
  home: process.env.HOME ?? homedir(),
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = await runCli(process.argv.slice(2), ctx);
