import { z } from "zod";
import { Memo2 } from "../src/engine/memo";
import { defineRule } from "../src/engine/rule";
import type { Resource, Span } from "../src/model/span";
import { PiiScanner, type PiiHit } from "../src/pii/attributes";
import { CustomDetectorSchema, compileCustomDetector } from "../src/pii/custom";
import { BUILTIN_DETECTORS, PII_CATEGORIES, SECRET_KEY_CATEGORY } from "../src/pii/detectors";
import { IP_EXPECTED_KEYS } from "../src/pii/keys";
import { piiFix } from "../src/remediation/pii";

const WHAT: Record<string, string> = {
  email: "email addresses",
  "credit-card": "payment card numbers (known issuer range, Luhn-valid)",
  iban: "IBANs (valid mod-97 check digits)",
  "us-ssn": "US social security numbers",
  phone: "international phone numbers",
  jwt: "JSON Web Tokens",
  "bearer-token": "bearer tokens",
  "basic-auth": "HTTP Basic credentials (base64 of user:password)",
  "api-key": "API keys",
  "url-credentials": "URLs with embedded user:password credentials",
  "secret-param": "secret parameters (password=, token=, api_key=, …)",
  "ip-address": "IP addresses",
  [SECRET_KEY_CATEGORY]: "unmasked values although its key names a secret",
};

function where(subject: string): string {
  if (subject === "span.name") return "Span names carry";
  if (subject === "event.name") return "Span event names carry";
  if (subject === "status.message") return "Span status messages carry";
  if (subject.startsWith("resource.")) return `Resource attribute \`${subject.slice(9)}\` carries`;
  if (subject.startsWith("event.")) return `Span event attribute \`${subject.slice(6)}\` carries`;
  if (subject.startsWith("link.")) return `Span link attribute \`${subject.slice(5)}\` carries`;
  return `Span attribute \`${subject}\` carries`;
}

export default defineRule({
  meta: {
    id: "pii-in-attributes",
    severity: "error",
    description: "Personal data or secrets in span, resource, event and link attributes, span names and status messages.",
    docs: `Scans every string (and string-array element) in span attributes, resource attributes, span event
attributes, span link attributes, span names, event names and status messages with validated detectors:
\`email\`, \`credit-card\` (13–19 digits, Visa/Mastercard incl. 2221–2720/Amex/Discover/JCB/Diners ranges, Luhn),
\`iban\` (country length + mod-97), \`us-ssn\` (\`ddd-dd-dddd\`, not area 000/666/9xx, group 00, serial 0000),
\`phone\` (\`+\` and country code, 8–15 digits; not six trailing zeros), \`jwt\`, \`bearer-token\`, \`basic-auth\`
(\`Basic\` and the base64 of \`user:password\`), \`api-key\` (AWS \`AKIA…\`, GitHub \`ghp_…\`, Slack \`xox…\`,
Stripe \`sk_live_…\`, Google \`AIza…\`, OpenAI \`sk-…\`), \`url-credentials\` (\`scheme://user:pass@\`),
\`secret-param\` (\`password=\`, \`token=\`, \`api_key=\`, presigned-URL signatures … with a literal value; bind
parameters are fine) and \`ip-address\` (severity info; not the host of a URL, and not reported under keys where
semantic conventions expect an address:
\`client.address\`, \`server.address\`, \`network.peer.address\`, \`source.address\`, \`destination.address\`, their
\`net.*\` forms, \`host.ip\`, \`k8s.pod.ip\`). A key that names a secret (\`authorization\`, \`cookie\`, \`password\`, \`*_token\`, …) is a
\`secret-key\` finding even when its value is not recognised; a recognised value there is reported once, with the
value's category. Overlapping matches go to the most specific detector (\`https://u:p@host\` is url-credentials).

One finding per (service, subject, category). Subject = the attribute key, prefixed \`resource.\`, \`event.\` or
\`link.\` outside span attributes, or \`span.name\` / \`event.name\` / \`status.message\`. Service = the span's
\`service.name\`. One occurrence = one span carrying such a value (a resource value counts once per span of that
resource). Evidence is always masked (\`j***@e***.com\`, \`**** **** **** 4242\`, \`eyJ…(jwt, 3 parts)\`).

Fix: stop recording the value in the instrumentation; meanwhile each finding's fix gives a Collector \`transform\`
(and, for span attributes, \`redaction\`) processor snippet for exactly that key. Options: \`categories\`
(\`{ "ip-address": false }\`), \`allow\` (\`[{ "key": "customer.email", "categories": ["email"] }]\`, \`*\` globs, bare
key or prefixed subject), \`ipAddressKeys\`, \`secretKeys\` (extra key names), \`detectors\` (\`[{ "name": "employee-id",
"pattern": "EMP-[0-9]{6}", "validator": "none" | "luhn" | "iban" }]\`).`,
    options: z
      .object({
        categories: z.record(z.string(), z.boolean()).default({}).describe("Turn categories on/off; all on by default."),
        allow: z
          .array(z.object({ key: z.string().min(1), categories: z.array(z.string()).optional() }).strict())
          .default([]),
        ipAddressKeys: z.array(z.string()).default([...IP_EXPECTED_KEYS]),
        secretKeys: z.array(z.string()).default([]),
        detectors: z.array(CustomDetectorSchema).default([]),
      })
      .strict()
      // A misspelt category would switch nothing off and allow nothing: refuse it, naming the known ones.
      .superRefine((options, ctx) => {
        const known = new Set<string>([...PII_CATEGORIES, SECRET_KEY_CATEGORY, ...options.detectors.map((d) => d.name)]);
        const unknown = (category: string, path: (string | number)[]) => {
          if (!known.has(category)) ctx.addIssue({ code: "custom", path, message: `unknown category "${category}" (known: ${[...known].join(", ")})` });
        };
        for (const category of Object.keys(options.categories)) unknown(category, ["categories", category]);
        options.allow.forEach((entry, i) => entry.categories?.forEach((category, j) => unknown(category, ["allow", i, "categories", j])));
      }),
  },
  create(context) {
    const { options } = context;
    const scanner = new PiiScanner({
      detectors: [...BUILTIN_DETECTORS, ...options.detectors.map(compileCustomDetector)],
      enabled: (category) => options.categories[category] ?? true,
      allow: options.allow,
      ipExpectedKeys: new Set(options.ipAddressKeys),
      extraSecretKeys: options.secretKeys,
    });
    // A resource is shared by many spans (and often by every batch of one process): scan it once.
    const resourceHits = new WeakMap<Resource, PiiHit[]>();
    // Neighbouring spans mostly share their resource: the last one's hits skip the WeakMap.
    let lastResource: Resource | undefined;
    let lastResourceHits: PiiHit[] = [];
    const hitsOfResource = (resource: Resource): PiiHit[] => {
      if (resource === lastResource) return lastResourceHits;
      let hits = resourceHits.get(resource);
      if (!hits) {
        hits = [];
        for (const [key, value] of resource.attributes) scanner.scanAttribute("resource.", key, value, hits);
        resourceHits.set(resource, hits);
      }
      lastResource = resource;
      lastResourceHits = hits;
      return hits;
    };
    // One array reused for every span: hits are reported before the next span is scanned.
    const hits: PiiHit[] = [];
    const hitsOfSpan = (span: Span): PiiHit[] => {
      if (hits.length !== 0) hits.length = 0; // most spans have no hits: skip the length builtin
      const fromResource = hitsOfResource(span.resource);
      for (let i = 0; i < fromResource.length; i++) hits.push(fromResource[i]!);
      scanner.scanText("span.name", span.name, hits);
      scanner.scanAttributes("", span.attributes, hits);
      for (const event of span.events) {
        scanner.scanText("event.name", event.name, hits);
        scanner.scanAttributes("event.", event.attributes, hits);
      }
      for (const link of span.links) scanner.scanAttributes("link.", link.attributes, hits);
      if (span.status.message !== "") scanner.scanText("status.message", span.status.message, hits);
      return hits;
    };
    // Message and fix depend only on (subject, category); a leaky attribute repeats on every span.
    const wording = new Memo2<{ message: string; fix: string }>();
    const wordingOf = (subject: string, category: string) => {
      const builtin = (PII_CATEGORIES as readonly string[]).includes(category) || category === SECRET_KEY_CATEGORY;
      return {
        message: `${where(subject)} ${WHAT[category] ?? `values matching the \`${category}\` detector`}; mask or drop them before export.`,
        fix: piiFix(subject, builtin ? category : "custom"),
      };
    };
    return {
      trace(trace) {
        for (const span of trace.spans) {
          for (const hit of hitsOfSpan(span)) {
            const { message, fix } = wording.get(hit.subject, hit.category, wordingOf);
            context.report({
              service: span.service,
              subject: hit.subject,
              category: hit.category,
              message,
              ...(hit.category === "ip-address" ? { severity: "info" as const } : {}),
              example: { traceId: span.traceId, spanId: span.spanId, evidence: hit.evidence },
              fix,
            });
          }
        }
      },
    };
  },
});
