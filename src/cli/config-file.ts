import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
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
  return config;
}
