// The predicate language of filters and replaceWhere: a small SQL subset (comparisons, AND/OR/NOT, IN,
// IS [NOT] NULL, BETWEEN) over columns and literals. Parsed by parse-expression.ts, bound to a schema by
// resolve-expression.ts, evaluated on RecordBatches (evaluate-batch.ts) and on file statistics (data-skipping.ts).

/** A literal as written: numbers keep their text so that 64-bit integers and decimals stay exact. */
export type LiteralValue =
  | { type: "null" }
  | { type: "boolean"; value: boolean }
  | { type: "number"; text: string }
  | { type: "string"; value: string };

export type ComparisonOperator = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** A parsed (unresolved) expression. Column paths are logical names: `a.b` is field b of struct a. */
export type Expression =
  | { kind: "column"; path: string[] }
  | { kind: "literal"; literal: LiteralValue }
  | { kind: "comparison"; op: ComparisonOperator; left: Expression; right: Expression }
  | { kind: "and"; children: Expression[] }
  | { kind: "or"; children: Expression[] }
  | { kind: "not"; child: Expression }
  | { kind: "in"; operand: Expression; values: Expression[] }
  | { kind: "isNull"; operand: Expression };

/** A column reference. @example col("a", "b") // a.b */
export function col(...path: string[]): Expression {
  return { kind: "column", path };
}

/** A literal from a JS value. @example lit(3), lit("x"), lit(null) */
export function lit(value: string | number | bigint | boolean | null): Expression {
  if (value === null) return { kind: "literal", literal: { type: "null" } };
  if (typeof value === "boolean") return { kind: "literal", literal: { type: "boolean", value } };
  if (typeof value === "string") return { kind: "literal", literal: { type: "string", value } };
  return { kind: "literal", literal: { type: "number", text: String(value) } };
}

/** Conjunction of expressions (true when empty). */
export function and(...children: Expression[]): Expression {
  return { kind: "and", children };
}

/** Disjunction of expressions (false when empty). */
export function or(...children: Expression[]): Expression {
  return { kind: "or", children };
}

/** Negation. */
export function not(child: Expression): Expression {
  return { kind: "not", child };
}

/** The column paths an expression references, deduplicated, in first-use order. */
export function referencedColumns(expression: Expression): string[][] {
  const out = new Map<string, string[]>();
  const visit = (e: Expression): void => {
    switch (e.kind) {
      case "column":
        out.set(JSON.stringify(e.path), e.path);
        return;
      case "literal":
        return;
      case "comparison":
        visit(e.left);
        visit(e.right);
        return;
      case "and":
      case "or":
        for (const c of e.children) visit(c);
        return;
      case "not":
        visit(e.child);
        return;
      case "in":
        visit(e.operand);
        for (const v of e.values) visit(v);
        return;
      case "isNull":
        visit(e.operand);
        return;
    }
  };
  visit(expression);
  return [...out.values()];
}

/** Renders an expression back as filter text (used in messages and commitInfo). */
export function expressionToString(e: Expression): string {
  switch (e.kind) {
    case "column":
      return e.path.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : `"${p.replaceAll('"', '""')}"`)).join(".");
    case "literal":
      switch (e.literal.type) {
        case "null":
          return "NULL";
        case "boolean":
          return e.literal.value ? "TRUE" : "FALSE";
        case "number":
          return e.literal.text;
        case "string":
          return `'${e.literal.value.replaceAll("'", "''")}'`;
      }
      return "NULL";
    case "comparison":
      return `${expressionToString(e.left)} ${e.op} ${expressionToString(e.right)}`;
    case "and":
    case "or":
      return e.children.length === 0
        ? e.kind === "and"
          ? "TRUE"
          : "FALSE"
        : e.children.map((c) => `(${expressionToString(c)})`).join(e.kind === "and" ? " AND " : " OR ");
    case "not":
      return `NOT (${expressionToString(e.child)})`;
    case "in":
      return `${expressionToString(e.operand)} IN (${e.values.map(expressionToString).join(", ")})`;
    case "isNull":
      return `${expressionToString(e.operand)} IS NULL`;
  }
}
