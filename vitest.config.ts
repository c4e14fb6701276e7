import { defineConfig } from "vitest/config";

// Tests import workspace packages from their TypeScript sources through the "@mlfusion/source" export condition,
// so `vitest run` needs no build; the CLI's end-to-end tests run the built binary (npm run build first).
export default defineConfig({
  resolve: { conditions: ["@mlfusion/source"] },
  ssr: { resolve: { conditions: ["@mlfusion/source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
