import { InvalidArgumentError } from "@mlfusion/core";
import { DataType, DateUnit, type RecordBatch, TimeUnit } from "apache-arrow";
import { type ScalarReader, scalarReader } from "./arrow-scalars.js";
import type { ComparisonOperator } from "./expression.js";
import type { ResolvedExpression } from "./resolve-expression.js";
import { compareScalars, type Scalar } from "./scalar.js";

const FLIPPED: Record<ComparisonOperator, ComparisonOperator> = {
  "=": "=",
  "!=": "!=",
  "<": ">",
  "<=": ">=",
  ">": "<",
  ">=": "<=",
};

// SQL three-valued logic over a RecordBatch. Truth values per row: FALSE = 0, TRUE = 1, UNKNOWN = 2 (null).
const FALSE = 0;
const TRUE = 1;
const UNKNOWN = 2;

/**
 * Evaluates a resolved predicate on every row of a batch whose columns carry the logical names. Returns a mask
 * where 1 selects the row: rows where the predicate is false or null (unknown) are not selected.
 *
 * @example
 * const mask = evaluateOnBatch(resolveExpression(parseExpression("id > 2"), schema), batch);
 */
export function evaluateOnBatch(expression: ResolvedExpression, batch: RecordBatch): Uint8Array {
  const truth = new Evaluator(batch).predicate(expression);
  const mask = new Uint8Array(batch.numRows);
  for (let i = 0; i < truth.length; i++) mask[i] = truth[i] === TRUE ? 1 : 0;
  return mask;
}

class Evaluator {
  private readonly readers = new Map<string, ScalarReader>();
  private readonly rows: number;

  constructor(private readonly batch: RecordBatch) {
    this.rows = batch.numRows;
  }

  predicate(e: ResolvedExpression): Uint8Array {
    const n = this.rows;
    const out = new Uint8Array(n);
    switch (e.kind) {
      case "and": {
        out.fill(TRUE);
        for (const child of e.children) {
          const t = this.predicate(child);
          for (let i = 0; i < n; i++) {
            const a = out[i];
            const b = t[i];
            out[i] = a === FALSE || b === FALSE ? FALSE : a === UNKNOWN || b === UNKNOWN ? UNKNOWN : TRUE;
          }
        }
        return out;
      }
      case "or": {
        out.fill(FALSE);
        for (const child of e.children) {
          const t = this.predicate(child);
          for (let i = 0; i < n; i++) {
            const a = out[i];
            const b = t[i];
            out[i] = a === TRUE || b === TRUE ? TRUE : a === UNKNOWN || b === UNKNOWN ? UNKNOWN : FALSE;
          }
        }
        return out;
      }
      case "not": {
        const t = this.predicate(e.child);
        for (let i = 0; i < n; i++) out[i] = t[i] === UNKNOWN ? UNKNOWN : t[i] === TRUE ? FALSE : TRUE;
        return out;
      }
      case "isNull": {
        const v = this.value(e.operand);
        for (let i = 0; i < n; i++) out[i] = v(i) === null ? TRUE : FALSE;
        return out;
      }
      case "comparison": {
        const fast = this.fastComparison(e.op, e.left, e.right);
        if (fast !== undefined) return fast;
        const l = this.value(e.left);
        const r = this.value(e.right);
        const test = comparisonTest(e.op);
        for (let i = 0; i < n; i++) {
          const a = l(i);
          const b = r(i);
          out[i] = a === null || b === null ? UNKNOWN : test(compareScalars(a, b)) ? TRUE : FALSE;
        }
        return out;
      }
      case "in": {
        const v = this.value(e.operand);
        const values = e.values.map((x) => this.value(x));
        for (let i = 0; i < n; i++) {
          const a = v(i);
          if (a === null) {
            out[i] = UNKNOWN;
            continue;
          }
          let result = FALSE;
          for (const candidate of values) {
            const b = candidate(i);
            if (b === null) result = UNKNOWN;
            else if (compareScalars(a, b) === 0) {
              result = TRUE;
              break;
            }
          }
          out[i] = result;
        }
        return out;
      }
      case "literal": {
        out.fill(e.value === null ? UNKNOWN : e.value === true ? TRUE : FALSE);
        return out;
      }
      case "column":
        throw new InvalidArgumentError(`Column ${e.path.join(".")} is not a condition.`);
    }
  }

  /**
   * Column-versus-literal comparisons on plain numeric columns, straight over the value buffer: the common
   * filter shape, about 10x faster than the general path.
   */
  private fastComparison(
    op: ComparisonOperator,
    left: ResolvedExpression,
    right: ResolvedExpression,
  ): Uint8Array | undefined {
    let column = left;
    let literal = right;
    let operator = op;
    if (column.kind === "literal" && literal.kind === "column") {
      [column, literal] = [literal, column];
      operator = FLIPPED[op];
    }
    if (column.kind !== "column" || literal.kind !== "literal" || column.path.length !== 1) return undefined;
    const name = column.path[0];
    const vector = name === undefined ? null : this.batch.getChild(name);
    const data = vector?.data.length === 1 ? vector.data[0] : undefined;
    if (data === undefined || data.offset !== 0) return undefined;
    const type = data.type;
    const values = data.values;
    const value = typeof literal.value === "number" || typeof literal.value === "bigint" ? literal.value : undefined;
    if (value === undefined) return undefined;
    let ok: boolean;
    if (values instanceof BigInt64Array) {
      const unitOk = !DataType.isTimestamp(type) || type.unit === TimeUnit.MICROSECOND;
      ok = unitOk && (DataType.isInt(type) || DataType.isTimestamp(type)) && typeof value === "bigint";
    } else if (
      values instanceof Float64Array ||
      values instanceof Float32Array ||
      values instanceof Int32Array ||
      values instanceof Int16Array ||
      values instanceof Int8Array
    ) {
      const dateOk = !DataType.isDate(type) || type.unit === DateUnit.DAY;
      ok =
        dateOk &&
        (DataType.isInt(type) || DataType.isFloat(type) || DataType.isDate(type)) &&
        typeof value === "number" &&
        !Number.isNaN(value);
    } else {
      return undefined;
    }
    if (!ok) return undefined;
    const n = this.rows;
    const out = new Uint8Array(n);
    const test = comparisonTest(operator);
    const isFloat = DataType.isFloat(type);
    for (let i = 0; i < n; i++) {
      const v = values[i] ?? 0;
      // NaN sorts above every number (compareScalars): only != , > and >= hold for it.
      if (isFloat && typeof v === "number" && Number.isNaN(v)) out[i] = test(1) ? TRUE : FALSE;
      else out[i] = test(v < value ? -1 : v > value ? 1 : 0) ? TRUE : FALSE;
    }
    const bitmap = data.nullBitmap;
    if (data.nullCount > 0 && bitmap != null && bitmap.length > 0) {
      for (let i = 0; i < n; i++) if ((((bitmap[i >> 3] ?? 0) >> (i & 7)) & 1) === 0) out[i] = UNKNOWN;
    }
    return out;
  }

  private value(e: ResolvedExpression): (row: number) => Scalar {
    if (e.kind === "literal") {
      const v = e.value;
      return () => v;
    }
    if (e.kind === "column") {
      const key = JSON.stringify(e.path);
      let reader = this.readers.get(key);
      if (reader === undefined) {
        const found = scalarReader(this.batch, e.path);
        if (found === undefined) {
          throw new InvalidArgumentError(`Column ${e.path.join(".")} is not in the data being filtered.`);
        }
        reader = found;
        this.readers.set(key, reader);
      }
      return reader;
    }
    // A nested condition used as a value (e.g. (a > 1) = true): its truth value as a boolean.
    const t = this.predicate(e);
    return (row) => (t[row] === UNKNOWN ? null : t[row] === TRUE);
  }
}

/** The test a comparison result must pass for each operator. */
export function comparisonTest(op: string): (c: number) => boolean {
  switch (op) {
    case "=":
      return (c) => c === 0;
    case "!=":
      return (c) => c !== 0;
    case "<":
      return (c) => c < 0;
    case "<=":
      return (c) => c <= 0;
    case ">":
      return (c) => c > 0;
    default:
      return (c) => c >= 0;
  }
}
