// The TraceQL subset the test server understands: one spanset filter `{ … }` of comparisons
// joined by && and ||, e.g. `{ resource.service.name = "orders" && status = error }`. Anything
// else is refused with a 400 in Tempo's wording, which is what the client must handle anyway.
import { SPAN_KIND_NAMES, type AttributeValue, type Span } from "../model/span";

export class TraceQLParseError extends Error {
  override name = "TraceQLParseError";
}

type Value = string | number | boolean;
type Operator = "=" | "!=" | "=~" | "!~" | ">" | ">=" | "<" | "<=";
type Field =
  | { scope: "resource" | "span" | "any"; key: string }
  | { scope: "intrinsic"; key: "name" | "status" | "kind" | "rootServiceName" };
interface Comparison {
  field: Field;
  op: Operator;
  value: Value;
  regex?: RegExp;
}
/** Disjunction of conjunctions. An empty list matches every span (`{}`). */
export type SpanFilter = Comparison[][];

const STATUS_NAMES = ["unset", "ok", "error"];
const KIND_NAMES = Object.values(SPAN_KIND_NAMES).map((k) => k.toLowerCase());
const INTRINSICS: Record<string, Field> = {
  name: { scope: "intrinsic", key: "name" },
  "span:name": { scope: "intrinsic", key: "name" },
  status: { scope: "intrinsic", key: "status" },
  "span:status": { scope: "intrinsic", key: "status" },
  kind: { scope: "intrinsic", key: "kind" },
  "span:kind": { scope: "intrinsic", key: "kind" },
  rootServiceName: { scope: "intrinsic", key: "rootServiceName" },
  "trace:rootService": { scope: "intrinsic", key: "rootServiceName" },
};

class Lexer {
  pos = 0;
  constructor(readonly text: string) {}
  fail(message: string): never {
    throw new TraceQLParseError(`parse error at line 1, col ${this.pos + 1}: ${message}`);
  }
  skip(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  peek(s: string): boolean {
    this.skip();
    return this.text.startsWith(s, this.pos);
  }
  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }
  expect(s: string): void {
    if (!this.eat(s)) this.fail(`syntax error: expected ${s}`);
  }
  identifier(): string {
    this.skip();
    const m = /^[A-Za-z_.:][A-Za-z0-9_.:\-/]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail("syntax error: expected an attribute or intrinsic");
    this.pos += m[0].length;
    return m[0];
  }
  operator(): Operator {
    this.skip();
    for (const op of ["!=", "=~", "!~", ">=", "<=", "=", ">", "<"] as const) if (this.eat(op)) return op;
    this.fail("syntax error: expected a comparison operator");
  }
  value(): Value {
    this.skip();
    const rest = this.text.slice(this.pos);
    if (rest.startsWith('"')) {
      let out = "";
      let i = 1;
      for (; i < rest.length && rest[i] !== '"'; i++) {
        if (rest[i] === "\\") {
          const next = rest[++i];
          out += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : (next ?? "");
        } else out += rest[i];
      }
      if (i >= rest.length) this.fail("syntax error: unterminated string");
      this.pos += i + 1;
      return out;
    }
    const num = /^-?\d+(\.\d+)?/.exec(rest);
    if (num) {
      this.pos += num[0].length;
      return Number(num[0]);
    }
    const word = /^[A-Za-z_]+/.exec(rest);
    if (word) {
      this.pos += word[0].length;
      if (word[0] === "true" || word[0] === "false") return word[0] === "true";
      if (STATUS_NAMES.includes(word[0]) || KIND_NAMES.includes(word[0])) return word[0];
      this.fail(`syntax error: unexpected IDENTIFIER ${word[0]}`);
    }
    this.fail("syntax error: expected a value");
  }
}

function fieldOf(lexer: Lexer, ident: string): Field {
  const intrinsic = INTRINSICS[ident];
  if (intrinsic) return intrinsic;
  if (ident.startsWith("resource.") && ident.length > 9) return { scope: "resource", key: ident.slice(9) };
  if (ident.startsWith("span.") && ident.length > 5) return { scope: "span", key: ident.slice(5) };
  if (ident.startsWith(".") && ident.length > 1) return { scope: "any", key: ident.slice(1) };
  lexer.fail(`unknown identifier ${ident} (this server supports resource.*, span.*, .*, name, status, kind)`);
}

export function parseTraceQL(text: string): SpanFilter {
  const lexer = new Lexer(text);
  lexer.expect("{");
  const filter: SpanFilter = [];
  if (!lexer.eat("}")) {
    let group: Comparison[] = [];
    for (;;) {
      const field = fieldOf(lexer, lexer.identifier());
      const op = lexer.operator();
      const value = lexer.value();
      const comparison: Comparison = { field, op, value };
      if (op === "=~" || op === "!~") {
        try {
          comparison.regex = new RegExp(`^(?:${String(value)})$`);
        } catch {
          lexer.fail("invalid regular expression");
        }
      }
      group.push(comparison);
      if (lexer.eat("&&")) continue;
      filter.push(group);
      if (lexer.eat("||")) {
        group = [];
        continue;
      }
      lexer.expect("}");
      break;
    }
  }
  lexer.skip();
  if (lexer.pos < text.length) lexer.fail(`syntax error: unexpected ${text[lexer.pos]} (pipelines and structural operators are not supported)`);
  return filter;
}

function scalar(value: AttributeValue | undefined): Value | undefined {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  return undefined;
}

function actual(span: Span, field: Field, rootService: string): Value | undefined {
  switch (field.scope) {
    case "resource":
      return scalar(span.resource.attributes.get(field.key));
    case "span":
      return scalar(span.attributes.get(field.key));
    case "any":
      return scalar(span.attributes.get(field.key)) ?? scalar(span.resource.attributes.get(field.key));
    case "intrinsic":
      if (field.key === "name") return span.name;
      if (field.key === "status") return STATUS_NAMES[span.status.code];
      if (field.key === "kind") return SPAN_KIND_NAMES[span.kind].toLowerCase();
      return rootService;
  }
}

function compare(c: Comparison, v: Value | undefined): boolean {
  // TraceQL: a comparison with a missing attribute is false, whatever the operator.
  if (v === undefined) return false;
  switch (c.op) {
    case "=":
      return v === c.value;
    case "!=":
      return v !== c.value;
    case "=~":
      return c.regex!.test(String(v));
    case "!~":
      return !c.regex!.test(String(v));
    default: {
      if (typeof v !== "number" || typeof c.value !== "number") return false;
      return c.op === ">" ? v > c.value : c.op === ">=" ? v >= c.value : c.op === "<" ? v < c.value : v <= c.value;
    }
  }
}

export function spanMatches(filter: SpanFilter, span: Span, rootService: string): boolean {
  if (filter.length === 0) return true;
  return filter.some((group) => group.every((c) => compare(c, actual(span, c.field, rootService))));
}
