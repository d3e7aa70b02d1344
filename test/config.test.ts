// tracelint.config.json: enabling/disabling rules, severity overrides, validated options, and the
// errors a user sees (file name + exact path, one line, exit 2) for every kind of mistake.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinRules } from "../rules/index";
import { STRUCTURE_RULES } from "../fixtures/scenarios/index";
import { ConfigError, parseConfigText, resolveConfig } from "../src/engine/config";
import { defineRule } from "../src/engine/rule";
import { ReportSchema } from "../src/report/schema";
import { runCli } from "./support/cli";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const fixture = (path: string) => relative(process.cwd(), join(repoRoot, "fixtures", path));
const SKEW = fixture("structure/clock-skew.otlp.json"); // orders runs ~249 ms behind gateway
const ROOTS = fixture("structure/multiple-roots.otlp.json"); // a warning finding

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function configFile(content: unknown): Promise<string> {
  const path = join(dir, `config-${++counter}.json`);
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** The fixtures' findings from non-structure rules (e.g. propagation) are other tests' business. */
function structureOnly(rules: Record<string, unknown> = {}): Record<string, unknown> {
  const off = builtinRules.map((r) => r.meta.id).filter((id) => !(STRUCTURE_RULES as readonly string[]).includes(id));
  return { ...Object.fromEntries(off.map((id) => [id, "off"])), ...rules };
}

async function checkWith(config: { rules?: Record<string, unknown> }, file: string, extra: string[] = []) {
  const content = { ...config, rules: structureOnly(config.rules) };
  const run = await runCli(["check", file, "--config", await configFile(content), "--format", "json", ...extra]);
  return { ...run, report: run.code === 2 ? undefined : ReportSchema.parse(JSON.parse(run.stdout)) };
}

describe("config: rules, severities and options", () => {
  it("runs every built-in rule with its defaults when the config does not mention it", () => {
    const config = resolveConfig({}, builtinRules);
    expect(config.rules.map((r) => r.rule.meta.id)).toEqual(builtinRules.map((r) => r.meta.id));
    const skew = config.rules.find((r) => r.rule.meta.id === "clock-skew")!;
    expect(skew).toMatchObject({ severity: "warning", options: { toleranceMs: 50 } });
  });

  it.each([
    ["off", "off"],
    ["enabled: false", { enabled: false }],
    ['["off", {…}]', ["off", { toleranceMs: 10 }]],
  ])("disables a rule with %s", async (_form, setting) => {
    const { code, report } = await checkWith({ rules: { "clock-skew": setting } }, SKEW);
    expect(code).toBe(0);
    expect(report!.rules.map((r) => r.id)).not.toContain("clock-skew");
    expect(report!.rules.map((r) => r.id).sort()).toEqual(STRUCTURE_RULES.filter((id) => id !== "clock-skew").sort());
    expect(report!.findings).toEqual([]);
  });

  it("enables a rule that is off by default", () => {
    const optIn = defineRule({
      meta: { id: "opt-in", severity: "info", description: "test rule", docs: "test", options: z.object({}), enabledByDefault: false },
      create: () => ({}),
    });
    expect(resolveConfig({}, [optIn]).rules).toEqual([]);
    expect(resolveConfig({ rules: { "opt-in": "warning" } }, [optIn]).rules).toMatchObject([{ severity: "warning" }]);
    expect(resolveConfig({ rules: { "opt-in": { enabled: true } } }, [optIn]).rules).toMatchObject([{ severity: "info" }]);
  });

  it("overrides a rule's severity, which changes the finding and the exit code", async () => {
    const plain = await checkWith({}, ROOTS);
    expect(plain.code).toBe(0);
    expect(plain.report!.findings.map((f) => [f.ruleId, f.severity])).toEqual([["multiple-roots", "warning"]]);
    for (const setting of ["error", { severity: "error" }, ["error", {}]]) {
      const run = await checkWith({ rules: { "multiple-roots": setting } }, ROOTS);
      expect(run.code).toBe(1);
      expect(run.report!.findings.map((f) => [f.ruleId, f.severity])).toEqual([["multiple-roots", "error"]]);
      expect(run.report!.rules.find((r) => r.id === "multiple-roots")!.severity).toBe("error");
    }
  });

  it("passes options, in the ESLint-style [severity, options] form and the object form", async () => {
    const loose = await checkWith({ rules: { "clock-skew": ["warning", { toleranceMs: 300 }] } }, SKEW);
    expect(loose.report!.findings).toEqual([]);
    const tight = await checkWith({ rules: { "clock-skew": { options: { toleranceMs: 100 } } } }, SKEW);
    expect(tight.report!.findings.map((f) => [f.ruleId, f.severity, f.occurrences, f.message])).toEqual([
      ["clock-skew", "warning", 4, expect.stringContaining("(tolerance 100 ms)")],
    ]);
    const info = await checkWith({ rules: { "clock-skew": ["info"] } }, SKEW, ["--fail-on", "info"]);
    expect(info.code).toBe(1);
    expect(info.report!.findings.map((f) => [f.severity, f.occurrences])).toEqual([["info", 4]]);
  });

  it("docs/examples/tracelint.config.json is valid and means what the README says", async () => {
    const path = join(repoRoot, "docs/examples/tracelint.config.json");
    const config = parseConfigText(await readFile(path, "utf8"), builtinRules, "example");
    const byId = new Map(config.rules.map((r) => [r.rule.meta.id, r]));
    expect(byId.get("clock-skew")).toMatchObject({ severity: "warning", options: { toleranceMs: 100 } });
    expect(byId.get("multiple-roots")!.severity).toBe("error");
    expect(byId.get("orphan-span")!.severity).toBe("error");
    expect(byId.has("partial-trace")).toBe(false);
    expect(config.rules).toHaveLength(builtinRules.length - 1);
    const run = await runCli(["check", ROOTS, "--config", relative(process.cwd(), path), "--format", "json", "--quiet"]);
    const multipleRoots = ReportSchema.parse(JSON.parse(run.stdout)).findings.filter((f) => f.ruleId === "multiple-roots");
    expect(multipleRoots.map((f) => f.severity)).toEqual(["error"]); // a warning by default
    expect(run.code).toBe(1);
  });
});

describe("config: errors name the file and the path, exit 2, one line", () => {
  it.each([
    ["an option out of range", { rules: { "clock-skew": { options: { toleranceMs: -5 } } } }, "rules.clock-skew.options.toleranceMs: Too small: expected number to be >=0"],
    ["an option of the wrong type", { rules: { "clock-skew": ["warning", { toleranceMs: "fast" }] } }, "rules.clock-skew.options.toleranceMs: Invalid input: expected number, received string"],
    ["a misspelt option", { rules: { "clock-skew": ["warning", { toleranceMS: 100 }] } }, 'rules.clock-skew.options: Unrecognized key: "toleranceMS"'],
    ["a misspelt setting key", { rules: { "clock-skew": { enable: false } } }, 'rules.clock-skew: Unrecognized key: "enable"'],
    ["an unknown severity", { rules: { "clock-skew": "fatal" } }, 'rules.clock-skew: expected "off", "error", "warning", "info"'],
    ["an unknown rule id", { rules: { "no-such-rule": "error" } }, "rules.no-such-rule: unknown rule (known rules: clock-skew, duplicate-span-id,"],
    ["rules that are not an object", { rules: ["clock-skew"] }, "rules: Invalid input: expected record, received array"],
    ["invalid JSON", '{ "rules": { "clock-skew": "off", } }', "not valid JSON ("],
    // Found by QA (each used to pass, crash or be ignored):
    ["a file holding null", "null", "(root): Invalid input: expected object, received null"],
    [
      "a custom PII pattern that is invalid only with its flags",
      { rules: { "pii-in-attributes": ["error", { detectors: [{ name: "emp-x", pattern: "EMP-\\-{", flags: "u" }] }] } },
      'rules.pii-in-attributes.options.detectors.0.pattern: not a valid regular expression with flags "u"',
    ],
    ["a misspelt PII category to switch off", { rules: { "pii-in-attributes": ["error", { categories: { emial: false } }] } }, 'rules.pii-in-attributes.options.categories.emial: unknown category "emial" (known: url-credentials,'],
    [
      "a misspelt PII category to allow",
      { rules: { "pii-in-attributes": ["error", { allow: [{ key: "customer.email", categories: ["emial"] }] }] } },
      'rules.pii-in-attributes.options.allow.0.categories.0: unknown category "emial"',
    ],
    [
      "options of the shared propagation analysis set on one rule only",
      { rules: { "split-trace": ["warning", { clockSkewToleranceMs: 200 }] } },
      "rules.propagation-gap and rules.split-trace share the propagation analysis, so their options must be equal (clockSkewToleranceMs: 50 vs 200); set the same options on both",
    ],
    ["a broken alerts section (checked by every command)", { alerts: "garbage" }, "alerts: Invalid input: expected object, received string"],
    ["a broken s3 section (checked by every command)", { s3: 42 }, "s3: Invalid input: expected object, received number (keys: endpoint, pathStyle, region)"],
    [
      "a misspelt rule in an alert policy (it would mute the destination)",
      { alerts: { destinations: [{ name: "ops", type: "slack", urlEnv: "SLACK_URL", policy: { rules: ["pii-in-attribute"] } }] } },
      'alerts.destinations.0.policy.rules.0: unknown rule "pii-in-attribute" (known rules: clock-skew,',
    ],
  ])("%s", async (_what, content, message) => {
    const path = await configFile(content);
    const run = await runCli(["check", SKEW, "--config", path]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    const lines = run.stderr.split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`tracelint: ${path}: ${message}`);
  });

  it("a config file with a byte-order mark (as Windows editors write it) is read; a custom detector's name is a known category", async () => {
    const config = { rules: structureOnly({ "clock-skew": ["warning", { toleranceMs: 1000 }], "pii-in-attributes": ["error", { detectors: [{ name: "emp-id", pattern: "EMP-[0-9]{6}" }], categories: { "emp-id": true, "ip-address": false } }] }) };
    const run = await runCli(["check", SKEW, "--config", await configFile(`\uFEFF${JSON.stringify(config)}`), "--format", "json"]);
    expect(run.code).toBe(0);
    // The tolerance from the file applies: the ~249 ms skew is within 1 s.
    expect(ReportSchema.parse(JSON.parse(run.stdout)).findings.filter((f) => f.ruleId === "clock-skew")).toEqual([]);
  });

  it("the shared propagation options may be set on both rules alike, or on one when the other is off", () => {
    const both = resolveConfig({ rules: { "propagation-gap": ["error", { clockSkewToleranceMs: 200 }], "split-trace": ["warning", { clockSkewToleranceMs: 200 }] } }, builtinRules);
    expect(both.rules.find((r) => r.rule.meta.id === "split-trace")!.options).toMatchObject({ clockSkewToleranceMs: 200 });
    const alone = resolveConfig({ rules: { "propagation-gap": "off", "split-trace": ["warning", { clockSkewToleranceMs: 200 }] } }, builtinRules);
    expect(alone.rules.find((r) => r.rule.meta.id === "split-trace")!.options).toMatchObject({ clockSkewToleranceMs: 200 });
  });

  it("a config file that does not exist", async () => {
    const run = await runCli(["check", SKEW, "--config", join(dir, "missing.json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`tracelint: cannot read config file ${join(dir, "missing.json")}`);
  });

  it("throws ConfigError (not a zod error) from the library API", () => {
    expect(() => resolveConfig({ rules: { "clock-skew": { options: { toleranceMs: -1 } } } }, builtinRules, "cfg")).toThrow(ConfigError);
    expect(() => parseConfigText("nope", builtinRules, "cfg")).toThrow(/^cfg: not valid JSON/);
  });
});
