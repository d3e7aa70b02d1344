import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { z } from "zod";
import { AlertsConfigSchema, unknownPolicyRule } from "../alerts/config";
import { parseConfigText, resolveConfig, type ResolvedConfig } from "../engine/config";
import type { Rule } from "../engine/rule";
import { UsageError } from "./inputs";

export const DEFAULT_CONFIG_FILE = "tracelint.config.json";

/**
 * The sections a tracelint.config.json may have: `rules` (engine), `s3` (audit --blocks /
 * --otlp-archive), `alerts` (tracelint alert). A new section must be added here, or files using it
 * are refused.
 */
export const CONFIG_SECTIONS = ["$schema", "rules", "s3", "alerts"] as const;

/**
 * A misspelt section (`"rule": {…}`) would otherwise be ignored and every rule would silently run
 * with its defaults: refuse it like a misspelt option, naming the file and the closest section.
 */
function checkSections(config: ResolvedConfig, file: string): void {
  const known: readonly string[] = CONFIG_SECTIONS;
  for (const key of Object.keys(config.raw)) {
    if (known.includes(key)) continue;
    const close = known.find((k) => k !== "$schema" && (k.startsWith(key.toLowerCase()) || key.toLowerCase().startsWith(k)));
    throw new UsageError(
      `${file}: unknown section ${JSON.stringify(key)}${close ? ` (did you mean ${JSON.stringify(close)}?)` : ""}; a config file has ${known.filter((k) => k !== "$schema").map((k) => JSON.stringify(k)).join(", ")}`,
    );
  }
}

/** The `s3` section: object-storage connection settings for `audit --blocks` / `--otlp-archive`. */
export const S3ConfigSchema = z
  .object({ endpoint: z.string().optional(), pathStyle: z.boolean().optional(), region: z.string().optional() })
  .strict();

/** One line for the first problem of a section: `FILE: alerts.destinations.0.url: …` (`alerts: …` at its root). */
export function sectionProblem(file: string, section: string, error: z.ZodError, hint = ""): string {
  const issue = error.issues[0];
  const path = [section, ...(issue?.path ?? []).map(String)].join(".");
  return `${file}: ${path}: ${issue?.message ?? "invalid"}${hint}`;
}

/**
 * One file serves every command: a broken `alerts` or `s3` section is refused by all of them
 * (`check` in CI would otherwise pass with a file that the scheduled `alert` then rejects).
 */
function checkSectionShapes(config: ResolvedConfig, file: string, rules: readonly Rule[]): void {
  const raw = config.raw as Record<string, unknown>;
  if (raw.s3 !== undefined) {
    const parsed = S3ConfigSchema.safeParse(raw.s3);
    if (!parsed.success) throw new UsageError(sectionProblem(file, "s3", parsed.error, " (keys: endpoint, pathStyle, region)"));
  }
  if (raw.alerts !== undefined) {
    const parsed = AlertsConfigSchema.safeParse(raw.alerts);
    if (!parsed.success) throw new UsageError(sectionProblem(file, "alerts", parsed.error));
    const unknown = unknownPolicyRule(parsed.data, rules.map((r) => r.meta.id));
    if (unknown) throw new UsageError(`${file}: alerts.${unknown}`);
  }
}

/** Loads --config FILE, else ./tracelint.config.json when present, else defaults. */
export async function loadConfig(path: string | undefined, rules: readonly Rule[]): Promise<ResolvedConfig> {
  const file = path ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file === undefined) return resolveConfig({}, rules, "defaults");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new UsageError(`cannot read config file ${file}`);
  }
  const config = parseConfigText(text, rules, file);
  checkSections(config, file);
  checkSectionShapes(config, file, rules);
  return config;
}
