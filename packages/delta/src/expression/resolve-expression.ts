import { InvalidArgumentError } from "@mlfusion/core";
import type { DataType, StructField, StructType } from "../schema/delta-schema.js";
import { typeToString } from "../schema/delta-schema.js";
import type { ComparisonOperator, Expression, LiteralValue } from "./expression.js";
import { expressionToString } from "./expression.js";
import { isComparableType, literalTypeError, parseDecimal, type Scalar, scalarFromText } from "./scalar.js";

/** An expression bound to a schema: columns carry their field and type, literals their typed value. */
export type ResolvedExpression =
  | { kind: "column"; path: string[]; type: DataType; field: StructField }
  | { kind: "literal"; value: Scalar }
  | { kind: "comparison"; op: ComparisonOperator; left: ResolvedExpression; right: ResolvedExpression }
  | { kind: "and"; children: ResolvedExpression[] }
  | { kind: "or"; children: ResolvedExpression[] }
  | { kind: "not"; child: ResolvedExpression }
  | { kind: "in"; operand: ResolvedExpression; values: ResolvedExpression[] }
  | { kind: "isNull"; operand: ResolvedExpression };

/**
 * Binds an expression to a (logical) schema: checks every column exists (InvalidArgumentError naming the unknown
 * column and listing the available ones), converts literals to the compared column's type, and rejects
 * comparisons between incompatible types.
 *
 * @example
 * const resolved = resolveExpression(parseExpression("id > 10"), snapshot.schema);
 */
export function resolveExpression(expression: Expression, schema: StructType): ResolvedExpression {
  return new Resolver(schema).predicate(expression);
}

class Resolver {
  constructor(private readonly schema: StructType) {}

  predicate(e: Expression): ResolvedExpression {
    switch (e.kind) {
      case "and":
      case "or":
        return { kind: e.kind, children: e.children.map((c) => this.predicate(c)) };
      case "not":
        return { kind: "not", child: this.predicate(e.child) };
      case "isNull":
        return { kind: "isNull", operand: this.operand(e.operand, undefined) };
      case "comparison":
        return this.comparison(e.op, e.left, e.right);
      case "in": {
        const operand = this.operand(e.operand, undefined);
        this.assertComparable(operand, e);
        return {
          kind: "in",
          operand,
          values: e.values.map((v) => this.operand(v, operand.kind === "column" ? operand : undefined)),
        };
      }
      case "column": {
        const column = this.column(e.path);
        if (column.kind === "column" && column.type !== "boolean") {
          throw new InvalidArgumentError(
            `Column ${e.path.join(".")} is of type ${typeToString(column.type)}, not boolean, so it cannot be a filter on its own; compare it, e.g. ${e.path.join(".")} = ...`,
          );
        }
        return { kind: "comparison", op: "=", left: column, right: { kind: "literal", value: true } };
      }
      case "literal": {
        const value = literalValue(e.literal);
        if (value !== null && typeof value !== "boolean") {
          throw new InvalidArgumentError(
            `The value ${expressionToString(e)} is not a condition; write a comparison such as a = 1.`,
          );
        }
        return { kind: "literal", value };
      }
    }
  }

  private comparison(op: ComparisonOperator, left: Expression, right: Expression): ResolvedExpression {
    const whole: Expression = { kind: "comparison", op, left, right };
    if (left.kind === "column") this.assertComparable(this.column(left.path), whole);
    if (right.kind === "column") this.assertComparable(this.column(right.path), whole);
    const l = this.operand(left, undefined);
    const r = this.operand(right, l.kind === "column" ? l : undefined);
    const l2 = l.kind === "literal" && r.kind === "column" ? this.operand(left, r) : l;
    if (l2.kind === "column" && r.kind === "column" && family(l2.type) !== family(r.type)) {
      throw new InvalidArgumentError(
        `Cannot compare column ${l2.path.join(".")} (${typeToString(l2.type)}) with column ${r.path.join(".")} (${typeToString(r.type)}) in ${expressionToString(whole)}.`,
      );
    }
    return { kind: "comparison", op, left: l2, right: r };
  }

  private assertComparable(column: ResolvedExpression, whole: Expression): void {
    if (column.kind === "column" && !isComparableType(column.type)) {
      throw new InvalidArgumentError(
        `Column ${column.path.join(".")} is of type ${typeToString(column.type)}, which cannot be compared in ${expressionToString(whole)}; only IS [NOT] NULL applies to it.`,
      );
    }
  }

  /** Resolves an operand; a literal compared with `against` takes that column's type. */
  private operand(e: Expression, against: ResolvedExpression | undefined): ResolvedExpression {
    if (e.kind === "column") return this.column(e.path);
    if (e.kind === "literal") {
      if (against === undefined || against.kind !== "column" || e.literal.type === "null") {
        return { kind: "literal", value: literalValue(e.literal) };
      }
      return { kind: "literal", value: coerceLiteral(e.literal, against.type, against.path.join(".")) };
    }
    throw new InvalidArgumentError(
      `Expected a column or a value but found the condition ${expressionToString(e)}; conditions combine with AND/OR.`,
    );
  }

  private column(path: readonly string[]): ResolvedExpression {
    let fields = this.schema.fields;
    const resolved: string[] = [];
    let field: StructField | undefined;
    for (const name of path) {
      field = fields.find((f) => f.name === name);
      if (field === undefined) {
        const matches = fields.filter((f) => f.name.toLowerCase() === name.toLowerCase());
        if (matches.length === 1) field = matches[0];
      }
      if (field === undefined) {
        const where = resolved.length === 0 ? "the table" : `struct ${resolved.join(".")}`;
        throw new InvalidArgumentError(
          `Unknown column ${path.join(".")} in the filter: ${where} has columns ${fields.map((f) => f.name).join(", ")}.`,
          { details: { column: path.join(".") } },
        );
      }
      resolved.push(field.name);
      const type: DataType = field.type;
      fields = typeof type !== "string" && type.type === "struct" ? type.fields : [];
    }
    if (field === undefined) throw new InvalidArgumentError("An empty column name is not valid in a filter.");
    return { kind: "column", path: resolved, type: field.type, field };
  }
}

function family(type: DataType): string {
  if (typeof type !== "string") return type.type;
  if (["byte", "short", "integer", "long", "float", "double"].includes(type) || type.startsWith("decimal")) {
    return "number";
  }
  if (type === "timestamp" || type === "timestamp_ntz") return "timestamp";
  return type;
}

/** The value of a literal with no column to give it a type. */
export function literalValue(literal: LiteralValue): Scalar {
  switch (literal.type) {
    case "null":
      return null;
    case "boolean":
      return literal.value;
    case "string":
      return literal.value;
    case "number": {
      if (/^[+-]?\d+$/.test(literal.text)) {
        const n = Number(literal.text);
        return Number.isSafeInteger(n) ? n : BigInt(literal.text);
      }
      return Number(literal.text);
    }
  }
}

function coerceLiteral(literal: LiteralValue, type: DataType, column: string): Scalar {
  const text =
    literal.type === "string"
      ? literal.value
      : literal.type === "boolean"
        ? String(literal.value)
        : literal.type === "number"
          ? literal.text
          : "";
  const shown = literal.type === "string" ? `'${literal.value}'` : text;
  if (typeof type === "string") {
    if (literal.type === "number" && (type === "date" || type === "timestamp" || type === "timestamp_ntz")) {
      throw literalTypeError(shown, type, column);
    }
    const value = scalarFromText(text, type);
    if (value !== undefined) return value;
    // A fractional literal against an integer column compares numerically (id > 1.5).
    if (["byte", "short", "integer", "long"].includes(type) && literal.type === "number") {
      const n = Number(literal.text);
      if (!Number.isNaN(n)) return n;
    }
    if (type.startsWith("decimal") && literal.type === "number") {
      const d = parseDecimal(literal.text);
      if (d !== undefined) return d;
    }
  }
  throw literalTypeError(shown, type, column);
}
