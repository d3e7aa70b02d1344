// `tracelint.config.json`: which rules run, at what severity, with which options. Validated with
// zod; every error names the offending path. No config file means every rule's defaults.
import { z } from "zod";
import type { Rule, Severity } from "./rule";

const SeveritySchema = z.enum(["error", "warning", "info"]);
const RuleSettingSchema = z.union([
  z.literal("off"),
  SeveritySchema,
  z.tuple([z.union([z.literal("off"), SeveritySchema]), z.record(z.string(), z.unknown()).optional()]),
  z
    .object({
      enabled: z.boolean().optional(),
      severity: SeveritySchema.optional(),
      options: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
], {
  error: 'expected "off", "error", "warning", "info", ["<severity or off>", {options}] or {"enabled", "severity", "options"}',
});

export const ConfigFileSchema = z
  .object({
    $schema: z.string().optional(),
    rules: z.record(z.string(), RuleSettingSchema).default({}),
  })
  .passthrough();
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface ResolvedRule {
  rule: Rule;
  severity: Severity;
  options: unknown;
}

export interface ResolvedConfig {
  rules: ResolvedRule[];
  /** The whole parsed file, for sections that later features read (sources, alerts, …). */
  raw: ConfigFile;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function formatIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
      return `${path || "(root)"}: ${issue.message}`;
    })
    .join("; ");
}

/** Validates a parsed config object against the available rules. Throws ConfigError. */
export function resolveConfig(input: unknown, available: readonly Rule[], source = "config"): ResolvedConfig {
  // No config at all is `undefined`; a file holding `null` is a mistake, refused like `[]`.
  const parsed = ConfigFileSchema.safeParse(input === undefined ? {} : input);
  if (!parsed.success) throw new ConfigError(`${source}: ${formatIssues(parsed.error, "")}`);
  const settings = parsed.data.rules;
  const byId = new Map(available.map((r) => [r.meta.id, r]));
  for (const id of Object.keys(settings)) {
    if (!byId.has(id)) {
      const known = [...byId.keys()].sort().join(", ");
      throw new ConfigError(`${source}: rules.${id}: unknown rule (known rules: ${known})`);
    }
  }
  const rules: ResolvedRule[] = [];
  for (const rule of available) {
    const setting = settings[rule.meta.id];
    let enabled = rule.meta.enabledByDefault ?? true;
    let severity: Severity = rule.meta.severity;
    let options: Record<string, unknown> = {};
    if (setting !== undefined) {
      if (setting === "off") enabled = false;
      else if (typeof setting === "string") {
        enabled = true;
        severity = setting;
      } else if (Array.isArray(setting)) {
        const [level, opts] = setting;
        enabled = level !== "off";
        if (level !== "off") severity = level;
        options = opts ?? {};
      } else {
        enabled = setting.enabled ?? true;
        severity = setting.severity ?? severity;
        options = setting.options ?? {};
      }
    }
    if (!enabled) continue;
    // Unknown option keys are typos (`toleranceMS`): reject them rather than silently use defaults.
    const schema = rule.meta.options instanceof z.ZodObject ? rule.meta.options.strict() : rule.meta.options;
    const parsedOptions = schema.safeParse(options);
    if (!parsedOptions.success) {
      throw new ConfigError(`${source}: ${formatIssues(parsedOptions.error, `rules.${rule.meta.id}.options`)}`);
    }
    rules.push({ rule, severity, options: parsedOptions.data });
  }
  checkSharedOptions(rules, source);
  return { rules, raw: parsed.data };
}

/** Enabled rules whose options configure one shared analysis must agree on them (see RuleMeta). */
function checkSharedOptions(rules: readonly ResolvedRule[], source: string): void {
  const first = new Map<string, ResolvedRule>();
  for (const resolved of rules) {
    const analysis = resolved.rule.meta.optionsConfigure;
    if (analysis === undefined) continue;
    const owner = first.get(analysis);
    if (!owner) {
      first.set(analysis, resolved);
      continue;
    }
    const a = owner.options as Record<string, unknown>;
    const b = resolved.options as Record<string, unknown>;
    const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    if (differing.length === 0) continue;
    const values = differing.map((k) => `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`).join(", ");
    throw new ConfigError(
      `${source}: rules.${owner.rule.meta.id} and rules.${resolved.rule.meta.id} share the ${analysis} analysis, so their options must be equal (${values}); set the same options on both`,
    );
  }
}

/** Parses config file text (JSON). Throws ConfigError with the file name on bad JSON. */
export function parseConfigText(text: string, available: readonly Rule[], source: string): ResolvedConfig {
  let json: unknown;
  try {
    // Editors on Windows may start the file with a byte-order mark, which JSON.parse refuses.
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return resolveConfig(json, available, source);
}
