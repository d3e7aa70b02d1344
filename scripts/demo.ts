// `npm run demo`: serves the committed demo estate (fixtures/demo/, recorded from real
// SDK-instrumented services) from the Tempo-compatible server on 127.0.0.1, runs `tracelint audit`
// against it through the real HTTP path, writes reports/demo/report.{json,md,html} and prints a
// short summary. No network beyond loopback, no set-up, a few seconds.
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join, relative } from "node:path";
import { decodeInput } from "../src/decode/index";
import type { Span } from "../src/model/span";
import { runAudit } from "../src/cli/audit";
import { processIO, type CliIO } from "../src/cli/io";
import { startTempoServer } from "../src/cli/tempo-server";
import { renderMarkdown } from "../src/report/markdown";
import type { Report } from "../src/report/schema";
import { deltaToEndAt, shiftSpans } from "../src/tempo-server/index";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
export const DEMO_TRACES_DIR = join(repoRoot, "fixtures/demo/traces");
export const DEMO_TENANT = "demo";

/** Reads the committed estate (one OTLP/JSON file per service). */
export async function loadDemoSpans(dir = DEMO_TRACES_DIR): Promise<Span[]> {
  const spans: Span[] = [];
  for (const name of (await readdir(dir)).filter((n) => n.endsWith(".otlp.json")).sort()) {
    const decoded = await decodeInput(await readFile(join(dir, name)), { name });
    spans.push(...decoded.spans);
  }
  return spans;
}

export interface DemoOptions {
  outDir?: string;
  io?: CliIO;
  now?: Date;
  /** Skip the printed summary (tests). */
  quiet?: boolean;
}

export interface DemoResult {
  code: number;
  report: Report;
  files: string[];
  summary: string[];
}

interface CoverageEdge {
  from: string;
  to: string;
  propagated: number;
  total: number;
}

/** A few lines: findings per rule, worst services, worst edges. */
export function summarise(report: Report): string[] {
  const lines: string[] = [];
  const byRule = new Map<string, { severity: string; occurrences: number; findings: number }>();
  const byService = new Map<string, { error: number; warning: number; info: number }>();
  for (const f of report.findings) {
    const r = byRule.get(f.ruleId) ?? { severity: f.severity, occurrences: 0, findings: 0 };
    r.occurrences += f.occurrences;
    r.findings++;
    byRule.set(f.ruleId, r);
    const s = byService.get(f.service) ?? { error: 0, warning: 0, info: 0 };
    s[f.severity]++;
    byService.set(f.service, s);
  }
  lines.push("Findings per rule:");
  for (const [id, r] of [...byRule].sort((a, b) => b[1].occurrences - a[1].occurrences)) {
    lines.push(`  ${id.padEnd(28)} ${r.severity.padEnd(8)} ${String(r.findings).padStart(3)} finding(s), ${r.occurrences} occurrence(s)`);
  }
  lines.push("Worst services:");
  const services = [...byService].sort((a, b) => b[1].error - a[1].error || b[1].warning - a[1].warning).slice(0, 5);
  for (const [name, s] of services) lines.push(`  ${name.padEnd(28)} ${s.error} error, ${s.warning} warning, ${s.info} info`);
  const coverage = (report as Report & { coverage?: { edges?: CoverageEdge[] } }).coverage;
  const edges = (coverage?.edges ?? []).filter((e) => e.propagated < e.total).sort((a, b) => a.propagated / a.total - b.propagated / b.total);
  if (edges.length > 0) {
    lines.push("Worst edges (context propagation):");
    for (const e of edges.slice(0, 5)) lines.push(`  ${`${e.from} → ${e.to}`.padEnd(28)} ${e.propagated}/${e.total} calls propagated`);
  }
  return lines;
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const io = options.io ?? processIO();
  const outDir = options.outDir ?? join(repoRoot, "reports/demo");
  const now = options.now ?? new Date();
  // Re-base the recorded half hour so it ended 10 minutes ago: inside `--since 1h`, older than
  // the audit's 5-minute ingestion delay.
  const recorded = await loadDemoSpans();
  const spans = shiftSpans(recorded, deltaToEndAt(recorded, BigInt(now.getTime() - 10 * 60_000) * 1_000_000n));
  const server = await startTempoServer({ spans, prefix: "/tempo", tenant: DEMO_TENANT, now: () => now.getTime() });
  const jsonPath = join(outDir, "report.json");
  let code: number;
  try {
    code = await runAudit(
      {
        tempo: server.url,
        tenant: DEMO_TENANT,
        since: "1h",
        perService: "20",
        traces: "50",
        format: "json",
        out: jsonPath,
        failOn: "never",
        quiet: options.quiet ?? false,
        now,
      },
      io,
    );
  } finally {
    await server.close();
  }
  const report = JSON.parse(await readFile(jsonPath, "utf8")) as Report;
  const files = [jsonPath];
  const mdPath = join(outDir, "report.md");
  await io.writeFile(mdPath, renderMarkdown(report));
  files.push(mdPath);
  try {
    const { renderHtml } = await import("../src/report/html/index");
    const htmlPath = join(outDir, "report.html");
    await io.writeFile(htmlPath, renderHtml(report, { title: "tracelint demo report" }));
    files.push(htmlPath);
  } catch {
    // The HTML renderer is optional here; JSON and Markdown are always written.
  }
  const summary = summarise(report);
  if (!options.quiet) {
    for (const line of summary) io.stderr(line);
    io.stderr(`Reports: ${files.map((f) => relative(process.cwd(), f)).join(", ")}`);
  }
  return { code, report, files, summary };
}

const invokedDirectly = process.argv[1] !== undefined && /scripts[\\/]demo\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  const started = Date.now();
  const result = await runDemo();
  process.stderr.write(`Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
  process.exitCode = result.code;
}
