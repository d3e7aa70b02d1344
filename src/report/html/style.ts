// The page's only stylesheet (inline; the CSP allows inline styles and nothing else).
export const STYLE = `
:root{--fg:#1d2433;--muted:#5b6478;--line:#dde2ea;--bg:#f6f7fb;--card:#fff;--err:#c62828;--warn:#d97706;--info:#2563eb;--good:#15803d;--fair:#ca8a04;--bad:#dc2626}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header.top{background:#111827;color:#f9fafb;padding:20px 32px}
header.top h1{margin:0 0 4px;font-size:22px}
header.top .meta{color:#cbd5e1;font-size:13px}
main{max-width:1280px;margin:0 auto;padding:24px 32px 48px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px;margin:0 0 20px;overflow-x:auto}
h2{font-size:18px;margin:0 0 12px}
h3{font-size:15px;margin:16px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px;min-width:120px}
.card .n{font-size:24px;font-weight:600}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.error .n{color:var(--err)}.card.warning .n{color:var(--warn)}.card.info .n{color:var(--info)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
code{background:#eef1f6;padding:1px 4px;border-radius:4px;word-break:break-all}
pre.snippet{background:#0f172a;color:#e2e8f0;padding:12px;border-radius:8px;overflow-x:auto}
pre.snippet code{background:none;padding:0;color:inherit;word-break:normal}
.sev{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600;color:#fff}
.sev-error{background:var(--err)}.sev-warning{background:var(--warn)}.sev-info{background:var(--info)}
.badge{display:inline-block;min-width:44px;text-align:center;padding:2px 8px;border-radius:6px;font-weight:700;color:#fff}
.badge-Excellent{background:var(--good)}.badge-Good{background:#65a30d}.badge-Needs-Improvement{background:var(--fair)}.badge-Poor{background:var(--bad)}
.up{color:var(--good)}.down{color:var(--bad)}.muted{color:var(--muted)}
.chart{display:block;max-width:100%;height:auto;margin:8px 0 16px}
.chart text{font-size:12px;fill:var(--fg)}
.chart .axis{fill:var(--muted);font-size:11px}
.coverage-bars .track{fill:#eef1f6}
.calls-not-counted{border-left:4px solid var(--warn);padding:6px 10px;background:#fffbeb}
.tone-good{fill:var(--good)}.tone-fair{fill:var(--fair)}.tone-bad{fill:var(--bad)}
.service-graph .node rect{fill:#eef2ff;stroke:#6366f1;stroke-width:1.5}
.service-graph .edge path{fill:none;stroke-width:2}
.service-graph .edge-ok path{stroke:#94a3b8}
.service-graph .edge-broken path{stroke:var(--bad);stroke-dasharray:6 4;stroke-width:2.5}
.service-graph .edge text{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
.service-graph .edge-broken text{fill:var(--bad);font-weight:600}
.arrow-ok{fill:#94a3b8}.arrow-broken{fill:var(--bad)}
a[target=_blank]{text-decoration:none;color:var(--info)}a[target=_blank] code{color:var(--info)}a[target=_blank]:hover code{text-decoration:underline}
details.finding{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:8px 0}
details.finding summary{cursor:pointer}
details.finding .msg{margin:8px 0}
ul.examples{margin:4px 0;padding-left:20px}
footer{color:var(--muted);font-size:12px;text-align:center;padding-bottom:24px}
@media print{
body{background:#fff}
section{overflow:visible;border:none;padding:0 0 12px}
details.finding::details-content{content-visibility:visible;display:block}
details.finding{break-inside:avoid}
table{font-size:10px}td,th{word-break:break-word}
pre.snippet{white-space:pre-wrap;word-break:break-all;background:#fff;color:#000;border:1px solid #ccc}
pre.snippet code{word-break:break-all}
svg.chart{max-width:100%;height:auto}
}
`;
