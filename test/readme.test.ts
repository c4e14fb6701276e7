// The README's tour runs as written, so it cannot rot: the `sh readme-test` block is executed by bash in a temp
// folder with `fusion` on the PATH (the built CLI), a free port in FF_PORT, and the server's readiness awaited.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import {
  createTempDir,
  type FusionServer,
  fusionBin,
  isolatedEnv,
  repoRoot,
  runPython,
  startFusionServer,
  type TempDir,
} from "@mlfusion/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

function readmeBlocks(language: string): string[] {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  return [...readme.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1] ?? "");
}

function readmeBlock(tag: string): string {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const match = new RegExp(`\`\`\`sh ${tag}\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (match?.[1] === undefined) throw new Error(`README.md has no \`\`\`sh ${tag} block`);
  return match[1];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe("README", () => {
  let dir: TempDir;
  beforeAll(async () => {
    dir = await createTempDir("readme-");
  });
  afterAll(async () => {
    await dir.close();
  });

  it("runs the tour of the fusion command as written", async () => {
    const block = readmeBlock("readme-test");
    expect(block).toContain("fusion start flight &");
    // The server line is the only one changed: its output is captured and its ready line awaited.
    const script = block.replace(
      "fusion start flight &",
      [
        "fusion start flight > server.out 2> server.log &",
        "server=$!",
        "trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT",
        'for _ in $(seq 1 600); do grep -q "^grpc://" server.out 2>/dev/null && break; kill -0 $server || { cat server.log >&2; exit 1; }; sleep 0.1; done',
      ].join("\n"),
    );
    const bin = join(dir.path, "bin");
    const shim = join(bin, "fusion");
    await import("node:fs/promises").then((fs) => fs.mkdir(bin));
    await writeFile(shim, `#!/bin/sh\nexec "${process.execPath}" "${fusionBin}" "$@"\n`);
    await chmod(shim, 0o755);
    const port = await freePort();
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        "bash",
        ["-euo", "pipefail", "-c", script],
        {
          cwd: dir.path,
          env: { ...isolatedEnv(), PATH: `${bin}:${process.env.PATH ?? ""}`, HOME: dir.path, FF_PORT: String(port) },
          timeout: 240_000,
        },
        (error, out, err) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout: out, stderr: err }),
      );
    });
    expect(stderr).not.toMatch(/^error:/m);
    expect(code).toBe(0);
    expect(stdout).toContain("Created project workspace");
    expect(stdout).toContain("demo/trips");
    expect(stdout).toMatch(/lima\s*│\s*8/);
    expect(stdout).toMatch(/paris\s*│\s*42\.5/);
    expect(stdout).toMatch(/version:\s+0/);
    expect(stdout).toMatch(/^0\t\S+Z\t/m);
  });

  describe("client examples, against a real server (the documented port replaced by the test server's)", () => {
    let server: FusionServer;
    beforeAll(async () => {
      server = await startFusionServer();
    });
    afterAll(async () => {
      await server.close();
    });

    it("runs every Python block", async () => {
      const blocks = readmeBlocks("py");
      expect(blocks.length).toBeGreaterThanOrEqual(2);
      for (const block of blocks) {
        const { stdout } = await runPython(block.replaceAll("50051", String(server.port)));
        if (block.includes("read_all()")) expect(stdout).toContain("x: int64");
      }
    });

    it("runs the TypeScript block", async () => {
      const [block] = readmeBlocks("ts");
      expect(block).toContain("@mlfusion/client");
      // Inside the repository so that @mlfusion/client resolves to the built package.
      const file = join(repoRoot, "test", `.readme-example-${process.pid}.mjs`);
      await writeFile(
        file,
        `${(block ?? "").replaceAll("50051", String(server.port))}\nawait client.close();\nconsole.log(table.numRows);\n`,
      );
      try {
        const output = await new Promise<string>((resolve, reject) => {
          execFile(process.execPath, [file], { timeout: 60_000 }, (error, stdout, stderr) =>
            error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`)),
          );
        });
        expect(output.trim()).toBe("1");
      } finally {
        await rm(file, { force: true });
      }
    });
  });
});
