// SQL statements used as span names: detect them, mask their literals, and derive the semconv
// name `{db.operation.name} {db.collection.name}`.

const VERB_RE = /^\s*(SELECT|INSERT|UPDATE|DELETE|MERGE|UPSERT|REPLACE|WITH)\b/i;
// A verb alone (`DELETE /users/1` is HTTP) is not enough: a SQL clause keyword must follow.
const CLAUSE_RE = /\b(FROM|INTO|SET|WHERE|VALUES|JOIN)\b/i;
const STRING_LITERAL_RE = /'(?:[^']|'')*'/g;
// A number right after a comparison, `(` or `,` is a value (`id = 42`, `IN (1, 2)`, `VALUES (7`).
const NUMBER_LITERAL_RE = /(?<!\bCOUNT\s*)([=<>(,]\s*)-?\d+(?:\.\d+)?\b/gi;
const IN_LIST_RE = /\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)/gi;
const TABLE_RE = /\b(?:FROM|INTO|UPDATE|JOIN)\s+([`"[]?[\w$.]+[`"\]]?)/i;

export function looksLikeSql(name: string): boolean {
  return VERB_RE.test(name) && CLAUSE_RE.test(name);
}

export interface MaskedSql {
  /** The statement with each literal replaced by `?` and `IN (?, ?, …)` folded to `IN (?)`. */
  text: string;
  literals: number;
}

export function maskSqlLiterals(sql: string): MaskedSql {
  let literals = 0;
  const text = sql
    .replace(STRING_LITERAL_RE, () => {
      literals++;
      return "?";
    })
    .replace(NUMBER_LITERAL_RE, (_m, before: string) => {
      literals++;
      return `${before}?`;
    })
    .replace(IN_LIST_RE, "IN (?)");
  return { text, literals };
}

/** `{db.operation.name} {db.collection.name}` (e.g. `SELECT users`), or the operation alone. */
export function sqlSemconvName(sql: string): string | undefined {
  const verb = VERB_RE.exec(sql)?.[1]?.toUpperCase();
  if (!verb) return undefined;
  const table = TABLE_RE.exec(sql)?.[1]?.replace(/[`"[\]]/g, "");
  return table ? `${verb} ${table}` : verb;
}
