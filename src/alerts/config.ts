// The `alerts` section of tracelint.config.json. Webhook URLs and signing secrets are secrets: give
// them as environment variable names (`urlEnv`, `secretEnv`); a literal `url` is accepted for tests
// and local receivers.
import { z } from "zod";

export const DESTINATION_TYPES = ["slack", "teams", "discord", "google-chat", "generic"] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export const PolicySchema = z
  .object({
    minSeverity: z.enum(["error", "warning", "info"]).default("warning").describe("Findings below this severity are never sent."),
    rules: z.array(z.string()).optional().describe("Only these rule IDs (default: all)."),
    excludeRules: z.array(z.string()).default([]),
    services: z.array(z.string()).optional().describe("Only these services; a trailing * matches a prefix (default: all)."),
    excludeServices: z.array(z.string()).default([]),
    onlyNewOrWorsened: z
      .boolean()
      .default(true)
      .describe("Send a finding only when it is new or worsened since the previous run (fingerprints kept in the alert state)."),
    coverageDropPoints: z
      .number()
      .positive()
      .max(100)
      .nullable()
      .default(10)
      .describe("Alert when propagation coverage of any caller→callee edge drops by at least this many points; null disables."),
    auditHealth: z.boolean().default(true).describe("Alert when the audit failed (source unreachable) or was degraded (traces not fetched, input errors)."),
    notifyResolved: z
      .boolean()
      .default(false)
      .describe("Also tell this destination when a finding it was alerted about is gone from the next run (resolved)."),
    quietPeriodMinutes: z.number().int().nonnegative().default(24 * 60).describe("The same finding is not sent again to this destination within this period."),
  })
  .strict();
export type AlertPolicy = z.infer<typeof PolicySchema>;

export const DestinationSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).describe("Stable name; the alert state is kept per name."),
    type: z.enum(DESTINATION_TYPES),
    url: z.string().url().optional(),
    urlEnv: z.string().optional().describe("Environment variable holding the webhook URL (preferred: URLs are secrets)."),
    secretEnv: z.string().optional().describe("generic: environment variable holding the HMAC-SHA256 signing secret."),
    maxBytes: z
      .number()
      .int()
      .min(4096)
      .optional()
      .describe("generic: payload size limit (default 256 KiB; at least 4 KiB, so that the envelope with its title and summary always fits)."),
    policy: PolicySchema.default(PolicySchema.parse({})),
  })
  .strict()
  .refine((d) => d.url !== undefined || d.urlEnv !== undefined, { message: "give url or urlEnv" });
export type DestinationConfig = z.infer<typeof DestinationSchema>;

export const AlertsConfigSchema = z
  .object({
    reportUrl: z.string().url().optional().describe("Where the full report is published; linked from every alert."),
    destinations: z.array(DestinationSchema).default([]),
  })
  .strict();
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;

/**
 * The first rule ID in a destination's `rules` / `excludeRules` that names no rule, as
 * `destinations.N.policy.rules.M: unknown rule "…"`: a typo would otherwise mute the destination.
 */
export function unknownPolicyRule(config: AlertsConfig, knownRules: readonly string[]): string | undefined {
  for (const [d, destination] of config.destinations.entries()) {
    for (const list of ["rules", "excludeRules"] as const) {
      for (const [i, id] of (destination.policy[list] ?? []).entries()) {
        if (!knownRules.includes(id)) return `destinations.${d}.policy.${list}.${i}: unknown rule ${JSON.stringify(id)} (known rules: ${[...knownRules].sort().join(", ")})`;
      }
    }
  }
  return undefined;
}
