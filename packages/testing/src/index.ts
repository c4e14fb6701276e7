export type { FusionCliResult } from "./fusion-cli.js";
export { fusionBin, isolatedEnv, runFusion } from "./fusion-cli.js";
export type { FusionServer } from "./fusion-server.js";
export { startFusionServer } from "./fusion-server.js";
export type { PythonResult } from "./python.js";
export { pythonExecutable, repoRoot, runPython } from "./python.js";
export { deltaConformanceRoot, sharedRoot } from "./shared-data.js";
export type { TempDir } from "./temp-dir.js";
export { createTempDir } from "./temp-dir.js";
