import { FusionError } from "@mlfusion/core";
import { type AstNode, child, isNode, type Literal, list, literalOf, location, str } from "./sql-ast.js";

/** A table named in a FROM clause (not a CTE): a dataset reference to resolve. */
export interface TableReference {
  /** Byte offset of the name in the SQL text. */
  readonly location: number;
  readonly catalog: string;
  readonly schema: string;
  readonly table: string;
  /** The alias written in the query, or "" (the table name then serves as the alias). */
  readonly alias: string;
  /** `AT (VERSION => n)` or `AT (TIMESTAMP => '...')`, when given. */
  readonly at?: { unit: "VERSION" | "TIMESTAMP"; literal: Literal | undefined };
  /** Filters from the WHERE clause of the SELECT that reads this table directly, usable to skip files. */
  readonly filters: ColumnFilter[];
}

/** A comparison of one column with literals, from a conjunct of a WHERE clause. Null-rejecting by construction. */
export interface ColumnFilter {
  readonly column: string;
  readonly op: "=" | "<" | "<=" | ">" | ">=" | "in" | "between" | "or" | "not null";
  readonly values: readonly Literal[];
  /** For `or`: comparisons of the same column, any of which may hold (`x = 1 OR x > 5`). */
  readonly alternatives?: readonly ColumnFilter[];
}

/** A SELECT scope's candidate filters whose column is not qualified (resolved once dataset schemas are known). */
export interface UnqualifiedFilters {
  /** The tables read directly by the scope; when `complete` is false other sources (subqueries...) exist too. */
  readonly tables: readonly TableReference[];
  readonly complete: boolean;
  readonly filters: readonly ColumnFilter[];
}

/** What a SELECT statement reads. */
export interface SelectAnalysis {
  readonly tables: readonly TableReference[];
  readonly unqualified: readonly UnqualifiedFilters[];
}

/** Table functions a query may call: they read no files and reach no network. */
const ALLOWED_TABLE_FUNCTIONS = new Set(["range", "generate_series", "unnest"]);

const COMPARISONS: Record<string, ColumnFilter["op"]> = {
  COMPARE_EQUAL: "=",
  COMPARE_LESSTHAN: "<",
  COMPARE_LESSTHANOREQUALTO: "<=",
  COMPARE_GREATERTHAN: ">",
  COMPARE_GREATERTHANOREQUALTO: ">=",
};
const FLIPPED: Record<string, ColumnFilter["op"]> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=" };

/**
 * Walks the parse tree of one SELECT statement: collects the tables it reads (skipping CTE names), the filters
 * usable for file skipping, and refuses table functions that could read files or reach the network.
 */
export function analyzeSelect(statement: AstNode): SelectAnalysis {
  const tables: TableReference[] = [];
  const unqualified: UnqualifiedFilters[] = [];
  const pending = new Map<AstNode, ColumnFilter[]>();
  const scopeOf = new Map<AstNode, { tables: TableReference[] }>();

  const visit = (value: unknown, ctes: ReadonlySet<string>): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, ctes);
      return;
    }
    if (!isNode(value)) return;
    let scope = ctes;
    const cteMap = child(value, "cte_map");
    if (cteMap !== undefined) {
      const names = list(cteMap, "map")
        .filter(isNode)
        .map((entry) => str(entry, "key").toLowerCase());
      if (names.length > 0) scope = new Set([...ctes, ...names]);
    }
    const type = str(value, "type");
    if (type === "SELECT_NODE") collectScopeFilters(value, scope, pending, unqualified, scopeOf);
    if (type === "BASE_TABLE") {
      const isCte = str(value, "schema_name") === "" && str(value, "catalog_name") === "";
      if (!(isCte && scope.has(str(value, "table_name").toLowerCase()))) {
        const ref = toTableReference(value, pending.get(value) ?? []);
        tables.push(ref);
        scopeOf.get(value)?.tables.push(ref);
      }
    }
    if (type === "TABLE_FUNCTION") {
      const fn = child(value, "function");
      const name = fn === undefined ? "" : str(fn, "function_name").toLowerCase();
      if (!ALLOWED_TABLE_FUNCTIONS.has(name)) {
        throw new FusionError(
          "PERMISSION_DENIED",
          `Queries may read registered datasets only; the table function ${name}() is not allowed.`,
        );
      }
    }
    for (const key of Object.keys(value)) visit(value[key], scope);
  };
  visit(statement, new Set());
  return { tables, unqualified };
}

function toTableReference(node: AstNode, filters: ColumnFilter[]): TableReference {
  const at = child(node, "at_clause");
  const ref: TableReference = {
    location: location(node) ?? -1,
    catalog: str(node, "catalog_name"),
    schema: str(node, "schema_name"),
    table: str(node, "table_name"),
    alias: str(node, "alias"),
    filters,
  };
  if (at === undefined) return ref;
  const unit = str(at, "unit").toUpperCase();
  const expr = child(at, "expr");
  return {
    ...ref,
    at: {
      unit: unit === "VERSION" ? "VERSION" : "TIMESTAMP",
      literal: expr === undefined ? undefined : literalOf(expr),
    },
  };
}

/** Base tables read directly by a FROM clause (through joins, not through subqueries). */
function directTables(from: AstNode | undefined, out: AstNode[]): boolean {
  if (from === undefined) return true;
  const type = str(from, "type");
  if (type === "EMPTY") return true;
  if (type === "BASE_TABLE") {
    out.push(from);
    return true;
  }
  if (type === "JOIN") {
    const left = directTables(child(from, "left"), out);
    const right = directTables(child(from, "right"), out);
    return left && right;
  }
  return false;
}

function collectScopeFilters(
  select: AstNode,
  ctes: ReadonlySet<string>,
  pending: Map<AstNode, ColumnFilter[]>,
  unqualified: UnqualifiedFilters[],
  scopeOf: Map<AstNode, { tables: TableReference[] }>,
): void {
  const where = child(select, "where_clause");
  if (where === undefined) return;
  const bases: AstNode[] = [];
  let complete = directTables(child(select, "from_table"), bases);
  const datasets = bases.filter((b) => {
    const isCte =
      str(b, "schema_name") === "" && str(b, "catalog_name") === "" && ctes.has(str(b, "table_name").toLowerCase());
    if (isCte) complete = false;
    return !isCte;
  });
  if (datasets.length === 0) return;
  const byQualifier = new Map<string, AstNode | null>();
  for (const b of datasets) {
    const q = (str(b, "alias") || str(b, "table_name")).toLowerCase();
    // Two sources with one qualifier would be a binder error anyway; never guess.
    byQualifier.set(q, byQualifier.has(q) ? null : b);
  }
  const loose: ColumnFilter[] = [];
  for (const conjunct of conjuncts(where)) {
    const found = columnFilterOf(conjunct);
    if (found === undefined) continue;
    const { qualifier, filter } = found;
    if (qualifier === undefined) {
      loose.push(filter);
      continue;
    }
    const target = byQualifier.get(qualifier.toLowerCase());
    if (target === undefined || target === null) continue;
    const filters = pending.get(target) ?? [];
    filters.push(filter);
    pending.set(target, filters);
  }
  if (loose.length > 0) {
    // The scope's tables are filled in when the walk reaches them (the SELECT node is visited first).
    const scope: { tables: TableReference[]; complete: boolean; filters: ColumnFilter[] } = {
      tables: [],
      complete,
      filters: loose,
    };
    unqualified.push(scope);
    for (const b of datasets) {
      const filters = pending.get(b) ?? [];
      pending.set(b, filters);
      scopeOf.set(b, scope);
    }
  }
}

function conjuncts(expr: AstNode): AstNode[] {
  if (str(expr, "type") === "CONJUNCTION_AND") return list(expr, "children").filter(isNode).flatMap(conjuncts);
  return [expr];
}

function columnOf(expr: AstNode | undefined): { qualifier: string | undefined; column: string } | undefined {
  if (expr === undefined || str(expr, "class") !== "COLUMN_REF") return undefined;
  const names = list(expr, "column_names").filter((n): n is string => typeof n === "string");
  if (names.length === 1 && names[0] !== undefined) return { qualifier: undefined, column: names[0] };
  if (names.length === 2 && names[0] !== undefined && names[1] !== undefined) {
    return { qualifier: names[0], column: names[1] };
  }
  return undefined;
}

function columnFilterOf(expr: AstNode): { qualifier: string | undefined; filter: ColumnFilter } | undefined {
  const type = str(expr, "type");
  if (type === "CONJUNCTION_OR") {
    const parts = list(expr, "children")
      .filter(isNode)
      .map((c) => columnFilterOf(c));
    const [first] = parts;
    if (first === undefined || parts.some((p) => p === undefined)) return undefined;
    const same = parts.every(
      (p) =>
        p !== undefined &&
        p.filter.column.toLowerCase() === first.filter.column.toLowerCase() &&
        p.qualifier?.toLowerCase() === first.qualifier?.toLowerCase(),
    );
    if (!same) return undefined;
    const alternatives = parts.flatMap((p) => (p === undefined ? [] : [p.filter]));
    return { qualifier: first.qualifier, filter: { column: first.filter.column, op: "or", values: [], alternatives } };
  }
  const op = COMPARISONS[type];
  if (op !== undefined) {
    const left = child(expr, "left");
    const right = child(expr, "right");
    const lc = columnOf(left);
    const rc = columnOf(right);
    if (lc !== undefined && right !== undefined) {
      const lit = literalOf(right);
      return lit === undefined
        ? undefined
        : { qualifier: lc.qualifier, filter: { column: lc.column, op, values: [lit] } };
    }
    if (rc !== undefined && left !== undefined) {
      const lit = literalOf(left);
      const flipped = FLIPPED[op];
      return lit === undefined || flipped === undefined
        ? undefined
        : { qualifier: rc.qualifier, filter: { column: rc.column, op: flipped, values: [lit] } };
    }
    return undefined;
  }
  if (type === "COMPARE_IN") {
    const [first, ...rest] = list(expr, "children").filter(isNode);
    const col = columnOf(first);
    if (col === undefined || rest.length === 0) return undefined;
    const values = rest.map(literalOf);
    if (values.some((v) => v === undefined)) return undefined;
    return { qualifier: col.qualifier, filter: { column: col.column, op: "in", values: values.filter(isLiteral) } };
  }
  if (type === "OPERATOR_IS_NOT_NULL") {
    const [operand] = list(expr, "children").filter(isNode);
    const col = columnOf(operand);
    return col === undefined
      ? undefined
      : { qualifier: col.qualifier, filter: { column: col.column, op: "not null", values: [] } };
  }
  if (type === "COMPARE_BETWEEN") {
    const col = columnOf(child(expr, "input"));
    const lower = child(expr, "lower");
    const upper = child(expr, "upper");
    const lo = lower === undefined ? undefined : literalOf(lower);
    const hi = upper === undefined ? undefined : literalOf(upper);
    if (col === undefined || lo === undefined || hi === undefined) return undefined;
    return { qualifier: col.qualifier, filter: { column: col.column, op: "between", values: [lo, hi] } };
  }
  return undefined;
}

function isLiteral(value: Literal | undefined): value is Literal {
  return value !== undefined;
}
