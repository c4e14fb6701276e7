import { InvalidArgumentError } from "@mlfusion/core";
import type { ComparisonOperator, Expression } from "./expression.js";

// A recursive-descent parser for the filter language:
//   expr       := orExpr
//   orExpr     := andExpr (OR andExpr)*
//   andExpr    := notExpr (AND notExpr)*
//   notExpr    := NOT notExpr | predicate
//   predicate  := operand [ compOp operand | [NOT] IN '(' operand (',' operand)* ')' | IS [NOT] NULL
//                          | [NOT] BETWEEN operand AND operand ]
//   operand    := literal | column | '(' expr ')'
//   column     := name ('.' name)*      name := identifier | "double quoted" | `back quoted`
//   literal    := [-]number | 'string' | TRUE | FALSE | NULL

type TokenKind = "ident" | "quoted" | "string" | "number" | "op" | "punct" | "end";

interface Token {
  kind: TokenKind;
  text: string;
  position: number;
}

const OPERATORS: Record<string, ComparisonOperator> = {
  "=": "=",
  "==": "=",
  "!=": "!=",
  "<>": "!=",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

const KEYWORDS = new Set(["AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE", "BETWEEN"]);

/**
 * Parses filter text into an Expression. InvalidArgumentError (with the 1-based character position) when the
 * text is not a valid expression.
 *
 * @example
 * parseExpression("a > 1 AND (b IN ('x', 'y') OR c IS NULL)");
 */
export function parseExpression(text: string): Expression {
  const parser = new Parser(text, tokenize(text));
  const expression = parser.parseOr();
  parser.expectEnd();
  return expression;
}

function syntaxError(text: string, position: number, problem: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `Invalid filter expression at position ${position + 1}: ${problem} (in ${JSON.stringify(text)}); write e.g. "a > 1 AND b IN ('x', 'y')".`,
    { details: { expression: text, position: position + 1 } },
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'") {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw syntaxError(text, start, "unterminated string literal");
        const ch = text[i];
        if (ch === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      tokens.push({ kind: "string", text: value, position: start });
      continue;
    }
    if (c === '"' || c === "`") {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw syntaxError(text, start, "unterminated quoted identifier");
        const ch = text[i];
        if (ch === c) {
          if (text[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      if (value === "") throw syntaxError(text, start, "empty quoted identifier");
      tokens.push({ kind: "quoted", text: value, position: start });
      continue;
    }
    const number = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (number !== null) {
      tokens.push({ kind: "number", text: number[0], position: start });
      i += number[0].length;
      if (/[A-Za-z_]/.test(text[i] ?? ""))
        throw syntaxError(text, i, `unexpected character ${JSON.stringify(text[i])}`);
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (ident !== null) {
      tokens.push({ kind: "ident", text: ident[0], position: start });
      i += ident[0].length;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === "<=" || two === ">=" || two === "!=" || two === "<>" || two === "==") {
      tokens.push({ kind: "op", text: two, position: start });
      i += 2;
      continue;
    }
    if (c === "<" || c === ">" || c === "=") {
      tokens.push({ kind: "op", text: c, position: start });
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === "," || c === "." || c === "-" || c === "+") {
      tokens.push({ kind: "punct", text: c, position: start });
      i++;
      continue;
    }
    throw syntaxError(text, start, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: "end", text: "", position: text.length });
  return tokens;
}

class Parser {
  private index = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)] ?? { kind: "end", text: "", position: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === "ident" && t.text.toUpperCase() === word;
  }

  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.next();
    return true;
  }

  private expectPunct(p: string): void {
    const t = this.next();
    if (t.kind !== "punct" || t.text !== p)
      throw syntaxError(this.text, t.position, `expected "${p}" but found ${describe(t)}`);
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== "end") throw syntaxError(this.text, t.position, `unexpected ${describe(t)}`);
  }

  parseOr(): Expression {
    const children = [this.parseAnd()];
    while (this.acceptKeyword("OR")) children.push(this.parseAnd());
    return children.length === 1 && children[0] !== undefined ? children[0] : { kind: "or", children };
  }

  private parseAnd(): Expression {
    const children = [this.parseNot()];
    while (this.acceptKeyword("AND")) children.push(this.parseNot());
    return children.length === 1 && children[0] !== undefined ? children[0] : { kind: "and", children };
  }

  private parseNot(): Expression {
    if (this.acceptKeyword("NOT")) return { kind: "not", child: this.parseNot() };
    return this.parsePredicate();
  }

  private parsePredicate(): Expression {
    const left = this.parseOperand();
    const t = this.peek();
    if (t.kind === "op") {
      this.next();
      const op = OPERATORS[t.text];
      if (op === undefined) throw syntaxError(this.text, t.position, `unknown operator ${t.text}`);
      const right = this.parseOperand();
      return { kind: "comparison", op, left, right };
    }
    if (this.isKeyword("IS")) {
      this.next();
      const negated = this.acceptKeyword("NOT");
      const n = this.next();
      if (!(n.kind === "ident" && n.text.toUpperCase() === "NULL")) {
        throw syntaxError(
          this.text,
          n.position,
          `expected NULL after IS${negated ? " NOT" : ""} but found ${describe(n)}`,
        );
      }
      const test: Expression = { kind: "isNull", operand: left };
      return negated ? { kind: "not", child: test } : test;
    }
    const negated = this.isKeyword("NOT") && (this.isKeyword("IN", 1) || this.isKeyword("BETWEEN", 1));
    if (negated) this.next();
    if (this.acceptKeyword("IN")) {
      this.expectPunct("(");
      const values = [this.parseOperand()];
      while (this.peek().kind === "punct" && this.peek().text === ",") {
        this.next();
        values.push(this.parseOperand());
      }
      this.expectPunct(")");
      const test: Expression = { kind: "in", operand: left, values };
      return negated ? { kind: "not", child: test } : test;
    }
    if (this.acceptKeyword("BETWEEN")) {
      const low = this.parseOperand();
      const and = this.next();
      if (!(and.kind === "ident" && and.text.toUpperCase() === "AND")) {
        throw syntaxError(this.text, and.position, `expected AND in BETWEEN but found ${describe(and)}`);
      }
      const high = this.parseOperand();
      const test: Expression = {
        kind: "and",
        children: [
          { kind: "comparison", op: ">=", left, right: low },
          { kind: "comparison", op: "<=", left, right: high },
        ],
      };
      return negated ? { kind: "not", child: test } : test;
    }
    return left;
  }

  private parseOperand(): Expression {
    const t = this.next();
    switch (t.kind) {
      case "number":
        return { kind: "literal", literal: { type: "number", text: t.text } };
      case "string":
        return { kind: "literal", literal: { type: "string", value: t.text } };
      case "punct":
        if (t.text === "(") {
          const inner = this.parseOr();
          this.expectPunct(")");
          return inner;
        }
        if (t.text === "-" || t.text === "+") {
          const n = this.next();
          if (n.kind !== "number") throw syntaxError(this.text, n.position, `expected a number after "${t.text}"`);
          return { kind: "literal", literal: { type: "number", text: t.text === "-" ? `-${n.text}` : n.text } };
        }
        throw syntaxError(this.text, t.position, `expected a column or a value but found ${describe(t)}`);
      case "quoted":
        return this.parseColumn(t.text);
      case "ident": {
        const upper = t.text.toUpperCase();
        if (upper === "NULL") return { kind: "literal", literal: { type: "null" } };
        if (upper === "TRUE" || upper === "FALSE") {
          return { kind: "literal", literal: { type: "boolean", value: upper === "TRUE" } };
        }
        if (KEYWORDS.has(upper)) {
          throw syntaxError(this.text, t.position, `expected a column or a value but found the keyword ${upper}`);
        }
        return this.parseColumn(t.text);
      }
      default:
        throw syntaxError(this.text, t.position, `expected a column or a value but found ${describe(t)}`);
    }
  }

  private parseColumn(first: string): Expression {
    const path = [first];
    while (this.peek().kind === "punct" && this.peek().text === ".") {
      this.next();
      const n = this.next();
      if (n.kind !== "ident" && n.kind !== "quoted") {
        throw syntaxError(this.text, n.position, `expected a field name after "." but found ${describe(n)}`);
      }
      path.push(n.text);
    }
    return { kind: "column", path };
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case "end":
      return "the end of the expression";
    case "string":
      return `the string '${t.text}'`;
    default:
      return JSON.stringify(t.text);
  }
}
