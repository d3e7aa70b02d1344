// Inline SVG charts (no script, no external resources): propagation coverage bars per service and
// the service graph with broken edges highlighted. Every label is escaped and clipped; the full
// text is in a <title> tooltip.
import { percentDigits } from "../../util/percent";
import { clip, esc } from "./escape";

export interface Ratio {
  propagated: number;
  total: number;
}

export interface CoverageService {
  service: string;
  inbound: Ratio;
  outbound: Ratio;
}

export interface GraphEdge {
  from: string;
  to: string;
  propagated: number;
  total: number;
  splitTraces: number;
}

/** Most services / edges drawn (the worst first); the tables next to the charts list everything. */
export const MAX_BAR_SERVICES = 40;
export const MAX_GRAPH_EDGES = 60;

function pct(r: Ratio): number | null {
  return r.total === 0 ? null : (r.propagated / r.total) * 100;
}

export function formatPct(value: number | null): string {
  if (value === null) return "—";
  return value === 100 || value === 0 ? `${value} %` : `${percentDigits(value)} %`;
}

/** Green only at full coverage: the same calls make the graph's edge red and raise a finding. */
function tone(value: number | null): string {
  if (value === null) return "none";
  return value === 100 ? "good" : value >= 90 ? "fair" : "bad";
}

/** Two horizontal bars per service: inbound and outbound coverage. */
export function coverageBars(services: readonly CoverageService[]): string {
  const rows = services.slice(0, MAX_BAR_SERVICES);
  const valueLabel = (ratio: Ratio) => {
    const value = pct(ratio);
    return value === null ? "no calls" : `${formatPct(value)} (${ratio.propagated}/${ratio.total})`;
  };
  const labelWidth = 190;
  const barWidth = 300;
  const rowHeight = 44;
  // Room after each bar for its value label ("99.9 % (19999/20000)"), at ≈ 7.5 px per character.
  const longest = Math.max(0, ...rows.flatMap((s) => [valueLabel(s.inbound).length, valueLabel(s.outbound).length]));
  const gap = Math.max(130, Math.ceil(16 + 7.5 * longest));
  const width = labelWidth + 2 * (barWidth + gap);
  const height = 28 + rows.length * rowHeight;
  const parts: string[] = [
    `<svg class="chart coverage-bars" role="img" aria-label="Propagation coverage per service" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<text class="axis" x="${labelWidth}" y="16">inbound (calls into the service that continued the trace)</text>`,
    `<text class="axis" x="${labelWidth + barWidth + gap}" y="16">outbound (its calls that continued the trace)</text>`,
  ];
  rows.forEach((s, i) => {
    const y = 28 + i * rowHeight;
    parts.push(`<g class="bar-row"><title>${esc(s.service)}</title>`);
    parts.push(`<text class="label" x="0" y="${y + 22}">${esc(clip(s.service, 24))}</text>`);
    ([["inbound", s.inbound], ["outbound", s.outbound]] as const).forEach(([direction, ratio], k) => {
      const x = labelWidth + k * (barWidth + gap);
      const value = pct(ratio);
      parts.push(`<rect class="track" x="${x}" y="${y + 8}" width="${barWidth}" height="20" rx="3"/>`);
      if (value !== null) {
        parts.push(`<rect class="bar bar-${direction} tone-${tone(value)}" x="${x}" y="${y + 8}" width="${((barWidth * value) / 100).toFixed(1)}" height="20" rx="3"><title>${esc(`${s.service} ${direction}: ${ratio.propagated}/${ratio.total}`)}</title></rect>`);
      }
      parts.push(`<text class="value" x="${x + barWidth + 6}" y="${y + 23}">${esc(valueLabel(ratio))}</text>`);
    });
    parts.push("</g>");
  });
  parts.push("</svg>");
  return parts.join("");
}

/**
 * Column per call depth: the longest path from an entry service, once the edges that close a cycle
 * (found by a depth-first walk from the entry services, in first-seen order) are set aside; those
 * are drawn as back edges. Counting depth around a cycle would push every service on it, and all
 * it calls, to the far right.
 */
function layers(nodes: readonly string[], edges: readonly GraphEdge[]): Map<string, number> {
  const callees = new Map<string, string[]>(nodes.map((n) => [n, []]));
  const callers = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (const e of edges) {
    if (e.from === e.to) continue;
    callees.get(e.from)?.push(e.to);
    callers.set(e.to, (callers.get(e.to) ?? 0) + 1);
  }
  const ON_PATH = 1;
  const DONE = 2;
  const state = new Map<string, number>();
  const closing = new Set<string>();
  const finished: string[] = [];
  const walk = (node: string): void => {
    state.set(node, ON_PATH);
    for (const next of callees.get(node) ?? []) {
      if (state.get(next) === ON_PATH) closing.add(`${node}\u0000${next}`);
      else if (state.get(next) === undefined) walk(next);
    }
    state.set(node, DONE);
    finished.push(node);
  };
  for (const node of [...nodes.filter((n) => callers.get(n) === 0), ...nodes]) if (state.get(node) === undefined) walk(node);
  const depth = new Map(nodes.map((n) => [n, 0]));
  // Reverse finishing order is a topological order of the edges that do not close a cycle.
  for (const node of finished.reverse()) {
    for (const next of callees.get(node) ?? []) {
      if (!closing.has(`${node}\u0000${next}`)) depth.set(next, Math.max(depth.get(next) ?? 0, (depth.get(node) ?? 0) + 1));
    }
  }
  return depth;
}

/** Services as boxes, caller→callee edges as arrows; edges below 100 % coverage drawn red and dashed. */
export function serviceGraph(allEdges: readonly GraphEdge[]): string {
  const edges = allEdges.slice(0, MAX_GRAPH_EDGES);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))];
  const depth = layers(nodes, edges);
  const columns = new Map<number, string[]>();
  for (const n of nodes) {
    const d = depth.get(n) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), n]);
  }
  const boxW = 160;
  const boxH = 36;
  const colGap = 300;
  const rowGap = 70;
  const margin = 20;
  const position = new Map<string, { x: number; y: number }>();
  let maxRows = 1;
  for (const [d, members] of columns) {
    maxRows = Math.max(maxRows, members.length);
    members.forEach((n, i) => position.set(n, { x: margin + d * colGap, y: margin + i * rowGap }));
  }
  const width = margin * 2 + Math.max(...[...columns.keys(), 0]) * colGap + boxW;
  // An edge that skips a column (orders → fraud-check past inventory) would cross that column's
  // boxes and hide its label behind them: it runs in a lane below the skipped columns' boxes.
  const bottomOf = (column: number) => margin + ((columns.get(column)?.length ?? 1) - 1) * rowGap + boxH;
  let lanes = 0;
  const laneY = new Map<GraphEdge, number>();
  for (const e of edges) {
    const from = depth.get(e.from) ?? 0;
    const to = depth.get(e.to) ?? 0;
    if (to - from < 2) continue;
    let floor = 0;
    for (let c = from + 1; c < to; c++) floor = Math.max(floor, bottomOf(c));
    laneY.set(e, floor + (rowGap - boxH) / 2 + lanes * 14);
    lanes++;
  }
  // Room below the boxes only for what is drawn there: back-edge loops and lanes.
  const backEdges = edges.some((e) => (depth.get(e.to) ?? 0) <= (depth.get(e.from) ?? 0));
  const height = Math.max(margin * 2 + (maxRows - 1) * rowGap + boxH + (backEdges ? 70 : 0), ...[...laneY.values()].map((y) => y + 30));
  const parts: string[] = [
    `<svg class="chart service-graph" role="img" aria-label="Service graph: caller to callee, broken propagation in red" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<defs><marker id="arrow-ok" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrow-ok"/></marker>`,
    `<marker id="arrow-broken" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrow-broken"/></marker></defs>`,
  ];
  for (const e of edges) {
    const a = position.get(e.from);
    const b = position.get(e.to);
    if (!a || !b) continue;
    const value = pct(e);
    const broken = value !== null && value < 100;
    const x1 = a.x + boxW;
    const y1 = a.y + boxH / 2;
    const forward = b.x > a.x;
    const x2 = forward ? b.x : b.x + boxW / 2;
    const y2 = forward ? b.y + boxH / 2 : b.y + boxH;
    const bend = forward ? (x2 - x1) / 2 : 60;
    const lane = laneY.get(e);
    // Lane edges leave and enter through the gaps between columns (colGap - boxW wide).
    const gap = (colGap - boxW) / 2;
    const d =
      lane !== undefined
        ? `M${x1},${y1} C${x1 + gap},${y1} ${x1},${lane} ${x1 + gap},${lane} L${x2 - gap},${lane} C${x2},${lane} ${x2 - gap},${y2} ${x2},${y2}`
        : forward
          ? `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`
          : `M${x1},${y1} C${x1 + bend},${y1 + 80} ${x2},${y2 + 80} ${x2},${y2}`;
    const label = `${formatPct(value)}${e.splitTraces > 0 ? ` · ${e.splitTraces} split` : ""}`;
    const mx = forward ? (x1 + x2) / 2 : (x1 + x2) / 2 + 20;
    const my = lane !== undefined ? lane + 4 : forward ? (y1 + y2) / 2 - 8 : Math.max(y1, y2) + 50;
    parts.push(
      `<g class="edge ${broken ? "edge-broken" : "edge-ok"}"><title>${esc(`${e.from} → ${e.to}: ${e.propagated}/${e.total} calls propagated, ${e.splitTraces} split trace(s)`)}</title>`,
      `<path d="${d}" marker-end="url(#${broken ? "arrow-broken" : "arrow-ok"})"/>`,
      `<text x="${mx.toFixed(1)}" y="${my.toFixed(1)}" text-anchor="middle">${esc(label)}</text></g>`,
    );
  }
  for (const n of nodes) {
    const p = position.get(n)!;
    parts.push(
      `<g class="node"><title>${esc(n)}</title><rect x="${p.x}" y="${p.y}" width="${boxW}" height="${boxH}" rx="6"/>`,
      `<text x="${p.x + boxW / 2}" y="${p.y + boxH / 2 + 5}" text-anchor="middle">${esc(clip(n, 20))}</text></g>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}
