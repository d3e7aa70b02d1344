// Every rule's meta is complete and docs/rules.md is generated from it (run `npm run docs`).
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { builtinRules } from "../rules/index";
import { SEVERITIES } from "../src/engine/rule";
import { optionsJsonSchema, README_PATH, renderRulesMarkdown, RULES_DOC_PATH, withReadmeRuleTable } from "../scripts/generate-docs";

const KEBAB_CASE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ruleFiles = readdirSync(new URL("../rules/", import.meta.url))
  .filter((f) => f.endsWith(".ts") && f !== "index.ts")
  .map((f) => f.slice(0, -".ts".length))
  .sort();

describe("docs/rules.md", () => {
  it("is up to date with the rules' meta (run `npm run docs` after changing a rule)", () => {
    expect(readFileSync(RULES_DOC_PATH, "utf8")).toBe(renderRulesMarkdown(builtinRules));
  });

  it("the README's rule table is up to date (run `npm run docs`)", () => {
    const readme = readFileSync(README_PATH, "utf8");
    expect(readme).toBe(withReadmeRuleTable(readme, builtinRules));
    for (const rule of builtinRules) expect(readme).toContain(`[\`${rule.meta.id}\`](docs/rules.md#${rule.meta.id})`);
  });

  it("documents every rule with its severity, options and defaults", () => {
    const doc = renderRulesMarkdown(builtinRules);
    for (const rule of builtinRules) {
      expect(doc).toContain(`## \`${rule.meta.id}\`\n\nDefault severity: **${rule.meta.severity}**`);
      expect(doc).toContain(rule.meta.docs.trim());
    }
    expect(doc).toContain("| `toleranceMs` | number | `50` | Allowed disagreement between the two spans, in milliseconds. |");
  });
});

describe("rule meta", () => {
  it("registers exactly one rule per rules/<id>.ts file", () => {
    expect(builtinRules.map((r) => r.meta.id).sort()).toEqual(ruleFiles);
  });

  it.each(builtinRules.map((r) => [r.meta.id, r] as const))("%s has complete meta", async (id, rule) => {
    expect(id).toMatch(KEBAB_CASE);
    const module = (await import(`../rules/${id}.ts`)) as { default: unknown };
    expect(module.default).toBe(rule);
    expect(SEVERITIES).toContain(rule.meta.severity);
    expect(rule.meta.description.trim()).not.toBe("");
    expect(rule.meta.description).not.toContain("\n");
    expect(rule.meta.options.safeParse({}).success).toBe(true);
    expect(optionsJsonSchema(rule)).toMatchObject({ type: "object" });
    // Docs say what one occurrence is, whom it is attributed to, and how to fix it.
    expect(rule.meta.docs.length).toBeGreaterThan(300);
    expect(rule.meta.docs).toMatch(/occurrence/i);
    expect(rule.meta.docs).toMatch(/attribut|service\s*=/i);
    expect(rule.meta.docs).toMatch(/\bfix/i);
  });
});
