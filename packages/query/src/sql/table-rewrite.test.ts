import { describe, expect, it } from "vitest";
import type { TableReference } from "./select-analysis.js";
import { rewriteTableReferences } from "./table-rewrite.js";

function ref(sql: string, name: string, parts: Partial<TableReference>): TableReference {
  return {
    location: Buffer.from(sql.slice(0, sql.indexOf(name)), "utf8").byteLength,
    catalog: "",
    schema: "",
    table: "",
    alias: "",
    filters: [],
    ...parts,
  };
}

describe("rewriteTableReferences", () => {
  it("replaces a quoted three-part name and keeps the table name as alias", () => {
    const sql = `SELECT "ds".a FROM "demo"."area"."ds" WHERE a > 1`;
    const r = ref(sql, `"demo"`, { catalog: "demo", schema: "area", table: "ds" });
    expect(rewriteTableReferences(sql, [{ ref: r, relation: "v0" }])).toBe(`SELECT "ds".a FROM v0 AS "ds" WHERE a > 1`);
  });

  it("removes the AT clause after an alias, and handles multi-byte text before the name", () => {
    const sql = `SELECT 'é' AS x, t.a FROM demo.ds AS t AT (VERSION => 3) JOIN other o ON o.a = t.a`;
    const first = ref(sql, "demo.ds", {
      schema: "demo",
      table: "ds",
      alias: "t",
      at: { unit: "VERSION", literal: { kind: "number", value: 3 } },
    });
    const second = ref(sql, "other", { table: "other", alias: "o" });
    expect(
      rewriteTableReferences(sql, [
        { ref: first, relation: "v0" },
        { ref: second, relation: "v1" },
      ]),
    ).toBe(`SELECT 'é' AS x, t.a FROM v0 AS t  JOIN v1 o ON o.a = t.a`);
  });

  it("removes an AT clause with a timestamp string holding parentheses", () => {
    const sql = `SELECT * FROM ds AT (TIMESTAMP => '2024-01-01 (x)')`;
    const r = ref(sql, "ds", { table: "ds", at: { unit: "TIMESTAMP", literal: undefined } });
    expect(rewriteTableReferences(sql, [{ ref: r, relation: "v0" }])).toBe(`SELECT * FROM v0 AS "ds" `);
  });

  it("refuses when the text at the location is not the expected name", () => {
    const sql = "SELECT * FROM ds";
    const r = { ...ref(sql, "ds", { table: "other" }) };
    expect(() => rewriteTableReferences(sql, [{ ref: r, relation: "v0" }])).toThrow(/Could not locate/);
  });
});
