// Opens the HTML report in headless Chromium (Debian `chromium` via playwright-core): the charts
// render with the expected element counts, nothing from the hostile trace strings executes (no
// dialog, no console error, no global set), no request leaves the page, and a screenshot is saved
// to test/artifacts/ for a human look.
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { diffReports } from "../src/report/diff";
import { renderHtml } from "../src/report/html/index";
import { chromiumAvailable, launchChromium } from "./support/browser";
import { estateReport } from "./support/report-estate";

const artifacts = fileURLToPath(new URL("./artifacts/", import.meta.url));

describe.skipIf(!chromiumAvailable())("HTML report in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("renders the charts, runs nothing from trace data and loads nothing", async () => {
    const before = await estateReport({ fraudBroken: false, cardinality: false, pii: true, hostile: false });
    const after = await estateReport({ fraudBroken: true, cardinality: true, pii: true, hostile: true }, new Date("2026-03-02T10:00:00Z"));
    const report = { ...after, delta: diffReports(before, after) };
    await mkdir(artifacts, { recursive: true });
    const file = `${artifacts}report.html`;
    await writeFile(file, renderHtml(report));

    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const consoleErrors: string[] = [];
    const dialogs: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    page.on("dialog", async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);

    expect(await page.locator("svg.coverage-bars g.bar-row").count()).toBe(report.coverage!.services.length);
    expect(await page.locator("svg.service-graph g.node").count()).toBe(new Set(report.coverage!.edges.flatMap((e) => [e.from, e.to])).size);
    expect(await page.locator("svg.service-graph g.edge-broken").count()).toBe(1);
    // Bars have real geometry (rendered, not just present in the markup).
    const widths = await page.locator("svg.coverage-bars rect.bar").evaluateAll((rs) => rs.map((r) => Math.round(r.getBoundingClientRect().width)));
    expect(Math.max(...widths)).toBeGreaterThan(100);
    expect(widths).toContain(0); // fraud: 0 % inbound
    const broken = await page.locator("svg.service-graph g.edge-broken path").evaluate((p) => getComputedStyle(p).stroke);
    expect(broken).toBe("rgb(220, 38, 38)");

    // Hostile names are displayed as text, and never ran.
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.getByText('<script>window.__pwned=1</script>"svc\'', { exact: true }).count()).toBeGreaterThan(0);
    expect(await page.locator("img, script, iframe").count()).toBe(0);
    const hrefs = await page.locator("a").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).protocol));
    expect(hrefs.length).toBeGreaterThan(0);
    expect(new Set(hrefs)).toEqual(new Set(["http:"]));
    // Printed, a finding's details (message, examples, fix) are shown although it is closed, and
    // snippets wrap instead of running off the page.
    const fix = page.locator("details.finding:not([open]) div.fix").first();
    expect(await fix.isVisible()).toBe(false);
    await page.emulateMedia({ media: "print" });
    expect(await fix.isVisible()).toBe(true);
    expect(await page.locator("pre.snippet").first().evaluate((p) => getComputedStyle(p).whiteSpace)).toBe("pre-wrap");
    // No snippet runs off the page (a long attribute key has no spaces to wrap at).
    const overflowing = await page.locator("pre.snippet").evaluateAll((ps) => ps.filter((p) => p.scrollWidth > p.clientWidth + 1).length);
    expect(overflowing).toBe(0);
    await page.emulateMedia({ media: "screen" });
    // Open every finding so the snippet blocks are on the screenshot too.
    await page.locator("details.finding").evaluateAll((ds) => ds.forEach((d) => d.setAttribute("open", "")));
    await page.screenshot({ path: `${artifacts}report.png`, fullPage: true });

    expect(dialogs).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
    await page.close();
  });
});
