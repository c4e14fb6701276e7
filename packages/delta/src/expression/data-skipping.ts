import type { ResolvedExpression } from "./resolve-expression.js";
import { compareScalars, type Scalar } from "./scalar.js";

// File skipping (PROTOCOL.md "Per-file Statistics"): decides from a file's min/max/null counts, or from its
// partition values, whether any row of the file can satisfy a predicate. It must never skip a file that holds
// a matching row; when unsure it keeps the file.

/** What is known about one column in one file. All fields optional: missing means unknown. */
export interface ColumnStats {
  min?: Scalar;
  max?: Scalar;
  nullCount?: number;
  numRecords?: number;
}

/** Looks up statistics by logical column path; undefined when the file has none for that column. */
export type StatsLookup = (path: readonly string[]) => ColumnStats | undefined;

/**
 * False only when no row of the file can match `expression`.
 *
 * @example
 * if (!mayMatch(resolved, (path) => statsOf(file, path))) continue; // skip the file
 */
export function mayMatch(expression: ResolvedExpression, stats: StatsLookup): boolean {
  return canMatch(expression, false, stats);
}

function canMatch(e: ResolvedExpression, negated: boolean, stats: StatsLookup): boolean {
  switch (e.kind) {
    case "literal":
      if (e.value === null) return false;
      return negated ? e.value === false : e.value === true;
    case "not":
      return canMatch(e.child, !negated, stats);
    case "and":
    case "or": {
      // De Morgan: NOT (a AND b) = NOT a OR NOT b.
      const conjunction = (e.kind === "and") !== negated;
      return conjunction
        ? e.children.every((c) => canMatch(c, negated, stats))
        : e.children.some((c) => canMatch(c, negated, stats));
    }
    case "isNull": {
      if (e.operand.kind !== "column") return true;
      const s = stats(e.operand.path);
      if (s?.nullCount === undefined) return true;
      if (!negated) return s.nullCount > 0;
      return s.numRecords === undefined || s.nullCount < s.numRecords;
    }
    case "comparison": {
      let { op } = e;
      let column = e.left;
      let literal = e.right;
      if (column.kind === "literal" && literal.kind === "column") {
        [column, literal] = [literal, column];
        op = flip(op);
      }
      if (column.kind !== "column" || literal.kind !== "literal") return true;
      if (negated) op = negate(op);
      return comparisonMayMatch(op, literal.value, stats(column.path));
    }
    case "in": {
      if (e.operand.kind !== "column") return true;
      const s = stats(e.operand.path);
      const values: Scalar[] = [];
      for (const v of e.values) {
        if (v.kind !== "literal") return true;
        values.push(v.value);
      }
      if (!negated) return values.some((v) => comparisonMayMatch("=", v, s));
      // NOT IN: false for every row when the list has a null; otherwise only a constant column in the list fails.
      if (values.some((v) => v === null)) return false;
      return values.every((v) => comparisonMayMatch("!=", v, s));
    }
    case "column":
      return true;
  }
}

function comparisonMayMatch(op: string, value: Scalar, s: ColumnStats | undefined): boolean {
  if (value === null) return false; // a comparison with NULL is never true
  if (s === undefined) return true;
  if (s.nullCount !== undefined && s.numRecords !== undefined && s.nullCount >= s.numRecords && s.numRecords > 0) {
    return false; // every value is null
  }
  const { min, max } = s;
  switch (op) {
    case "=":
      if (min != null && compareScalars(value, min) < 0) return false;
      if (max != null && compareScalars(value, max) > 0) return false;
      return true;
    case "!=":
      return !(min != null && max != null && compareScalars(min, max) === 0 && compareScalars(min, value) === 0);
    case "<":
      return min == null || compareScalars(min, value) < 0;
    case "<=":
      return min == null || compareScalars(min, value) <= 0;
    case ">":
      return max == null || compareScalars(max, value) > 0;
    case ">=":
      return max == null || compareScalars(max, value) >= 0;
    default:
      return true;
  }
}

function flip(op: "=" | "!=" | "<" | "<=" | ">" | ">="): "=" | "!=" | "<" | "<=" | ">" | ">=" {
  switch (op) {
    case "<":
      return ">";
    case "<=":
      return ">=";
    case ">":
      return "<";
    case ">=":
      return "<=";
    default:
      return op;
  }
}

function negate(op: "=" | "!=" | "<" | "<=" | ">" | ">="): "=" | "!=" | "<" | "<=" | ">" | ">=" {
  switch (op) {
    case "=":
      return "!=";
    case "!=":
      return "=";
    case "<":
      return ">=";
    case "<=":
      return ">";
    case ">":
      return "<=";
    case ">=":
      return "<";
  }
}
