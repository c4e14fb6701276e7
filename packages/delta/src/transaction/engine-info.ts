/** The version of @mlfusion/delta; keep equal to packages/delta/package.json (checked by engine-info.test.ts). */
export const ENGINE_VERSION = "0.1.0";

/** commitInfo.engineInfo of every commit this library writes (PROTOCOL.md "Commit Provenance Information"). */
export const ENGINE_INFO = `mlfusion/${ENGINE_VERSION}`;
