#!/usr/bin/env node
import { homedir } from "node:os";
import { createCliContext } from "./cli-context.js";
import { runCli } from "./run-cli.js";

const ctx = createCliContext({
  cwd: process.cwd(),
  env: process.env,
  home: process.env.HOME ?? homedir(),
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = await runCli(process.argv.slice(2), ctx);
