// Run-over-run trends in workerd: each published report carries `delta` against the previous run
// of the same audit (its `latest` report), in the stored JSON, Markdown and HTML alike.
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { diffReports } from "../../src/report/diff";
import type { Report } from "../../src/report/schema";
import { latestRun, r2Json, r2Text, reportOf, runScheduled, tempoAudit, testEnv } from "./support";

const CRON = "*/30 * * * *";

describe("run-over-run delta of scheduled runs", () => {
  it("the first run has no delta; the second carries exactly diffReports(first, second)", async () => {
    // Run 1 with propagation-gap off, run 2 with it on (config changed between runs): its findings are new.
    const first = testEnv([tempoAudit("trend", { rules: { "propagation-gap": "off" } })], { AUDIT_QUEUE: undefined });
    await runScheduled(first, CRON, inject("nowMs") - 1000);
    const run1 = await latestRun("trend");
    const report1 = await reportOf(run1);
    expect(report1.delta).toBeUndefined();
    expect(report1.findings.filter((f) => f.ruleId === "propagation-gap")).toEqual([]);

    await runScheduled(testEnv([tempoAudit("trend")], { AUDIT_QUEUE: undefined }), CRON);
    const run2 = await latestRun("trend");
    expect(run2.runId > run1.runId).toBe(true);
    const report2 = await reportOf(run2);
    const { delta, ...withoutDelta } = report2;
    expect(delta).toEqual(diffReports(report1, withoutDelta as Report));
    const gaps = report2.findings.filter((f) => f.ruleId === "propagation-gap");
    expect(gaps.map((f) => `${f.service} ${f.subject} ${f.occurrences}`)).toContain("payments payments→fraud-check 10");
    expect(delta!.baseline).toEqual({ generatedAt: report1.generatedAt, traces: 42 });
    expect(delta!.findings.new.map((d) => `${d.ruleId} ${d.service} ${d.subject} ${d.occurrences}`)).toEqual(
      [...gaps].map((f) => `${f.ruleId} ${f.service} ${f.subject} ${f.occurrences}`).sort(),
    );
    expect(delta!.findings.resolved).toEqual([]);
    expect(delta!.findings.worsened).toEqual([]);
    expect(delta!.findings.unchanged).toBe(report1.findings.length);

    const md = (await r2Text(`${run2.report!.base}.md`))!;
    expect(md).toContain(`${gaps.length} new`);
    expect(md).toContain("payments→fraud-check");
    const html = (await r2Text(`${run2.report!.base}.html`))!;
    expect(html).toContain(`Compared with the run of ${report1.generatedAt} (42 traces): ${gaps.length} new, 0 worsened, 0 resolved, ${report1.findings.length} unchanged.`);
    // `latest` moved to the second run: the next run is compared with it.
    expect(await r2Json("reports/trend/latest.json")).toMatchObject({ runId: run2.runId });
  });

  it("a run finishing after a newer one is not compared with its successor", async () => {
    const e = testEnv([tempoAudit("trend-late")], { AUDIT_QUEUE: undefined });
    await runScheduled(e, CRON);
    const newer = await latestRun("trend-late");
    await runScheduled(e, CRON, inject("nowMs") - 60_000); // an older scheduled time, finishing later
    const history = (await r2Json<{ runId: string }[]>("reports/trend-late/index.json"))!;
    const older = (await r2Json<{ report: { base: string } }>(`runs/${history[1]!.runId}/run.json`))!;
    expect(history[0]!.runId).toBe(newer.runId);
    expect((await r2Json<Report>(`${older.report.base}.json`))!.delta).toBeUndefined();
    expect(await r2Json("reports/trend-late/latest.json")).toMatchObject({ runId: newer.runId });
  });
});
