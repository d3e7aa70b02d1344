// Papercuts found by using the CLI as an SRE would, pinned down: argument errors in one short line
// of tracelint's own wording, the shared report options, input de-duplication, a misspelt config
// section, `--out` under /proc, and the plain-text audit progress. Trace data: the SDK-recorded
// fixtures; the config files below are hand-written (they are not trace data).
import { mkdtemp, readFile, rm, writeFile, copyFile, mkdir, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDirectory } from "../src/cli/io";
import type { CliIO } from "../src/cli/io";
import { describeArgsError } from "../src/cli/main";
import { REPORT_OPTIONS, reportOptionsHelp } from "../src/cli/output";
import { auditProgress } from "../src/cli/progress";
import { ReportSchema, type Report } from "../src/report/schema";
import { runCli } from "./support/cli";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const fixture = (path: string) => relative(process.cwd(), join(repoRoot, "fixtures", path));
const HEALTHY = fixture("healthy/healthy-estate.otlp.json");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tracelint-qa-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const report = (text: string): Report => ReportSchema.parse(JSON.parse(text));

describe("argument errors", () => {
  it("an unknown option is one line naming it and the command's help, not Node's advice on positionals", async () => {
    const run = await runCli(["check", HEALTHY, "--since", "1h"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("tracelint: unknown option --since for tracelint check (see tracelint check --help)");
  });

  it("a missing value and a value given to a flag are named by their long form", async () => {
    expect((await runCli(["check", HEALTHY, "-o"])).stderr).toBe("tracelint: --out needs a value (see tracelint check --help)");
    expect((await runCli(["check", HEALTHY, "--quiet=yes"])).stderr).toBe("tracelint: --quiet takes no value (see tracelint check --help)");
    expect((await runCli(["diff", "a.json", "b.json", "--fail-on-new"])).stderr).toBe("tracelint: --fail-on-new needs a value (see tracelint diff --help)");
  });

  it("a value that looks like an option is one line, not Node's three", async () => {
    const run = await runCli(["diff", "a.json", "b.json", "--fail-on-new", "-1"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('tracelint: --fail-on-new needs a value; write one that starts with "-" as --fail-on-new=-… (see tracelint diff --help)');
  });

  it("keeps the first sentence of a parseArgs message it does not know", () => {
    expect(describeArgsError(new TypeError("Something new. With advice."), "report")).toBe("Something new (see tracelint report --help)");
    expect(describeArgsError(new TypeError("Something new.\nWith advice."), "report")).toBe("Something new (see tracelint report --help)");
  });

  it("tracelint with no command is a usage error: usage on stderr, nothing on stdout", async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Usage:");
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("tracelint audit --blocks s3://B --help");
  });

  it("tracelint rules has --help and refuses arguments instead of ignoring them", async () => {
    const help = await runCli(["rules", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tracelint rules\n/);
    const extra = await runCli(["rules", "--format", "json"]);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toBe("tracelint: unknown option --format for tracelint rules (see tracelint rules --help)");
    expect((await runCli(["rules", "pii"])).stderr).toBe('tracelint: rules takes no argument "pii" (see tracelint rules --help)');
  });

  it("audit --help points to the object-storage sources, whose options it does not list", async () => {
    const run = await runCli(["audit", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: tracelint audit --tempo URL/);
    expect(run.stdout).toContain("their options:\ntracelint audit --blocks s3://B --help\n");
    const storage = await runCli(["audit", "--blocks", "s3://B", "--help"]);
    expect(storage.stdout).toMatch(/^Usage: tracelint audit --blocks/);
  });
});

describe("report options shared by check and audit", () => {
  it("declares -o/-q/-h once, with html among the formats in the help text", () => {
    expect(REPORT_OPTIONS.out).toEqual({ type: "string", short: "o" });
    expect(REPORT_OPTIONS.quiet).toEqual({ type: "boolean", short: "q" });
    const help = reportOptionsHelp(22);
    expect(help).toContain("  --format json|md|html  report format");
    expect(help.split("\n").map((l) => l.slice(0, 25).trimEnd())).toEqual([
      "  --config FILE",
      "  --format json|md|html",
      "  -o, --out FILE",
      "  --fail-on LEVEL",
      "  -q, --quiet",
      "  -h, --help",
    ]);
  });

  it("check takes -o and -q; --format and the --out extension are case-insensitive", async () => {
    const out = join(dir, "REPORT.HTML");
    const run = await runCli(["check", HEALTHY, "-q", "-o", out]);
    expect(run).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await readFile(out, "utf8")).toMatch(/^<!doctype html>/);
    const upper = await runCli(["check", HEALTHY, "--format", "MD", "-q"]);
    expect(upper.code).toBe(0);
    expect(upper.stdout).toMatch(/^# tracelint report\n/);
  });
});

describe("inputs", () => {
  it("a file named twice, or named and inside a named directory, is read once (no self-duplicates)", async () => {
    const twice = await runCli(["check", HEALTHY, HEALTHY, "--format", "json"]);
    expect(twice.code).toBe(0);
    expect(report(twice.stdout).summary).toMatchObject({ files: 1, traces: 60, spans: 460 });
    expect(report(twice.stdout).findings).toEqual([]);
    const estate = join(dir, "estate");
    await mkdir(estate, { recursive: true });
    await copyFile(join(repoRoot, "fixtures/healthy/healthy-estate.otlp.json"), join(estate, "healthy.otlp.json"));
    const overlap = await runCli(["check", estate, join(estate, "healthy.otlp.json"), "--format", "json"]);
    expect(report(overlap.stdout).summary).toMatchObject({ files: 1, spans: 460 });
    expect(report(overlap.stdout).findings).toEqual([]);
  });

  it("a directory walk follows symbolic links, as Kubernetes ConfigMap mounts are laid out, and reads a linked file once", async () => {
    // A ConfigMap volume: `..data` links to a timestamped folder, each file links into `..data`.
    const mount = join(dir, "configmap");
    await mkdir(join(mount, "..2026_11_22_04_00_00.1"), { recursive: true });
    await copyFile(join(repoRoot, "fixtures/healthy/healthy-estate.otlp.json"), join(mount, "..2026_11_22_04_00_00.1", "healthy.otlp.json"));
    await symlink("..2026_11_22_04_00_00.1", join(mount, "..data"));
    await symlink(join("..data", "healthy.otlp.json"), join(mount, "healthy.otlp.json"));
    // A linked directory, a link back up (a cycle) and a dangling link.
    const outer = join(dir, "linked");
    await mkdir(outer, { recursive: true });
    await symlink(mount, join(outer, "mounted"));
    await symlink(outer, join(mount, "loop"));
    await symlink(join(dir, "gone.json"), join(outer, "dangling.json"));
    const run = await runCli(["check", outer, "--format", "json"]);
    expect(run.code).toBe(0);
    expect(report(run.stdout).summary).toMatchObject({ files: 1, traces: 60, spans: 460, inputErrors: [] });
  });

  it("a directory walk skips tracelint.config.json, which `check .` next to it used to report as a broken input", async () => {
    const project = join(dir, "project");
    await mkdir(project, { recursive: true });
    await copyFile(join(repoRoot, "fixtures/healthy/healthy-estate.otlp.json"), join(project, "healthy.otlp.json"));
    await writeFile(join(project, "tracelint.config.json"), JSON.stringify({ rules: { "clock-skew": "off" } }));
    const run = await runCli(["check", project, "--format", "json"]);
    expect(run.code).toBe(0);
    expect(report(run.stdout).summary).toMatchObject({ files: 1, inputErrors: [] });
  });
});

describe("config file", () => {
  it("a misspelt section stops the run (it used to be ignored, so every rule silently ran with defaults)", async () => {
    const path = join(dir, "typo.handwritten.json");
    await writeFile(path, JSON.stringify({ rule: { "orphan-span": "off" } }));
    const run = await runCli(["check", HEALTHY, "--config", path]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`tracelint: ${path}: unknown section "rule" (did you mean "rules"?); a config file has "rules", "s3", "alerts"`);
  });

  it("the known sections and $schema are accepted", async () => {
    const path = join(dir, "full.handwritten.json");
    await writeFile(path, JSON.stringify({ $schema: "./schema.json", rules: {}, s3: { pathStyle: true }, alerts: { destinations: [] } }));
    const run = await runCli(["check", HEALTHY, "--config", path, "--format", "json"]);
    expect(run.code).toBe(0);
  });
});

describe("writing the report", () => {
  it("creates missing directories above --out", async () => {
    const out = join(dir, "a", "b", "c", "report.json");
    await ensureDirectory(join(dir, "a", "b", "c"));
    await writeFile(out, "{}");
    expect(await readFile(out, "utf8")).toBe("{}");
    await ensureDirectory(join(dir, "a", "b", "c")); // existing: nothing to do
  });

  it.runIf(process.platform === "linux")("fails at once under /proc, where mkdir -p never settled and `--out /proc/x/r.json` hung", async () => {
    const started = Date.now();
    await expect(ensureDirectory("/proc/tracelint-qa/reports")).rejects.toMatchObject({ code: "ENOENT" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("audit progress in plain mode (CI logs)", () => {
  function capture(): { io: CliIO; lines: string[] } {
    const lines: string[] = [];
    const io: CliIO = {
      stdout: () => {},
      stderr: (l) => lines.push(l),
      progress: () => {},
      writeFile: async () => {},
      stdoutIsTTY: false,
      stderrIsTTY: false,
      env: {},
    };
    return { io, lines };
  }
  const step = (phase: "search" | "fetch" | "done", done: number, total: number) => ({ phase, done, total, failed: 0, partial: 0, notFound: 0 });

  it("prints the fetch at 25, 50 and 75 % and the end, not a 0 % bar after the first trace", () => {
    const { io, lines } = capture();
    const p = auditProgress(io, false);
    for (let done = 0; done <= 8; done++) p.onProgress(step("fetch", done, 8));
    p.onProgress(step("done", 8, 8));
    expect(lines).toEqual([
      "tracelint: fetching 8 sampled traces",
      "tracelint: fetching [######------------------] 2/8 traces, 0 failed",
      "tracelint: fetching [############------------] 4/8 traces, 0 failed",
      "tracelint: fetching [##################------] 6/8 traces, 0 failed",
      "tracelint: fetching [########################] 8/8 traces, 0 failed",
    ]);
  });

  it("says nothing about fetching when nothing was sampled", () => {
    const { io, lines } = capture();
    const p = auditProgress(io, false);
    p.onProgress(step("search", 0, 4));
    p.onProgress(step("fetch", 0, 0));
    p.onProgress(step("done", 0, 0));
    expect(lines).toEqual(["tracelint: running 4 searches"]);
  });
});
