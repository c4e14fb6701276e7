/**
 * Reading DuckDB's parse tree, as produced by its built-in `json_serialize_sql()`. The tree is untyped JSON, so this
 * module is the one place that looks at its shape; everything else works on the typed results of `analyzeSelect`.
 */

/** A JSON object from the parse tree. */
export type AstNode = { readonly [key: string]: unknown };

/** True for a JSON object (not an array, not null). */
export function isNode(value: unknown): value is AstNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string property of a node, or "" when absent. */
export function str(node: AstNode, key: string): string {
  const value = node[key];
  return typeof value === "string" ? value : "";
}

/** A node-valued property, or undefined. */
export function child(node: AstNode, key: string): AstNode | undefined {
  const value = node[key];
  return isNode(value) ? value : undefined;
}

/** An array-valued property (empty when absent). */
export function list(node: AstNode, key: string): readonly unknown[] {
  const value = node[key];
  return Array.isArray(value) ? value : [];
}

/** A byte offset into the SQL text; DuckDB uses 2^64-1 for "no location". */
export function location(node: AstNode): number | undefined {
  const value = node.query_location;
  return typeof value === "number" && value < Number.MAX_SAFE_INTEGER ? value : undefined;
}

/** A literal value from the SQL text, typed enough for file skipping and time travel. */
export type Literal =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "date"; value: string }
  | { kind: "timestamp"; value: string };

/**
 * The literal a constant expression denotes: a VALUE_CONSTANT, or a CAST of one to DATE / TIMESTAMP / BOOLEAN /
 * a number type. Anything else (functions, parameters, NULL, numbers beyond 2^53) is undefined: not usable.
 */
export function literalOf(expr: AstNode): Literal | undefined {
  if (str(expr, "class") === "CAST") {
    const inner = child(expr, "child");
    const castType = child(expr, "cast_type");
    if (inner === undefined || castType === undefined || expr.try_cast === true) return undefined;
    const base = literalOf(inner);
    if (base === undefined) return undefined;
    const target = str(castType, "id");
    const text = base.kind === "string" ? base.value : undefined;
    switch (target) {
      case "DATE":
        return text !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(text.trim())
          ? { kind: "date", value: text.trim() }
          : undefined;
      case "TIMESTAMP":
      case "TIMESTAMP WITH TIME ZONE":
      case "TIMESTAMP_TZ":
        return text !== undefined ? { kind: "timestamp", value: text.trim() } : undefined;
      case "BOOLEAN":
        if (text === undefined) return base.kind === "boolean" ? base : undefined;
        if (/^(t|true)$/i.test(text)) return { kind: "boolean", value: true };
        if (/^(f|false)$/i.test(text)) return { kind: "boolean", value: false };
        return undefined;
      case "VARCHAR":
        return base.kind === "string" ? base : undefined;
      default:
        return base.kind === "number" ? base : undefined;
    }
  }
  if (str(expr, "type") !== "VALUE_CONSTANT") return undefined;
  const value = child(expr, "value");
  if (value === undefined || value.is_null === true) return undefined;
  const type = child(value, "type");
  const typeId = type === undefined ? "" : str(type, "id");
  const raw = value.value;
  switch (typeId) {
    case "VARCHAR":
      return typeof raw === "string" ? { kind: "string", value: raw } : undefined;
    case "BOOLEAN":
      return typeof raw === "boolean" ? { kind: "boolean", value: raw } : undefined;
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
    case "BIGINT":
    case "HUGEINT":
    case "UTINYINT":
    case "USMALLINT":
    case "UINTEGER":
    case "UBIGINT":
    case "FLOAT":
    case "DOUBLE":
      return typeof raw === "number" && Math.abs(raw) <= Number.MAX_SAFE_INTEGER
        ? { kind: "number", value: raw }
        : undefined;
    case "DECIMAL": {
      const info = type === undefined ? undefined : child(type, "type_info");
      const scale = info !== undefined && typeof info.scale === "number" ? info.scale : undefined;
      if (typeof raw !== "number" || scale === undefined || Math.abs(raw) > Number.MAX_SAFE_INTEGER) return undefined;
      return { kind: "number", value: raw / 10 ** scale };
    }
    default:
      return undefined;
  }
}
