// Links from example trace IDs to the user's Grafana (Explore with a Tempo data source by default)
// or any other trace UI, through a URL template with `{traceId}` and `{spanId}` placeholders.

export interface TraceLinkOptions {
  /** Full template, e.g. `https://tempo-ui.example/trace/{traceId}`; overrides the Grafana defaults. */
  traceUrlTemplate?: string;
  /** Grafana base URL (default http://localhost:3000). */
  grafanaUrl?: string;
  /** UID of the Tempo data source in Grafana (default `tempo`). */
  datasourceUid?: string;
  /** Grafana organisation ID (default 1). */
  orgId?: number;
}

export const DEFAULT_GRAFANA_URL = "http://localhost:3000";
export const DEFAULT_TEMPO_DATASOURCE_UID = "tempo";

/** The Grafana Explore URL template for a Tempo data source (trace-ID query, last 24 h… Tempo finds it by ID regardless). */
export function grafanaExploreTemplate(options: TraceLinkOptions = {}): string {
  const base = (options.grafanaUrl ?? DEFAULT_GRAFANA_URL).replace(/\/+$/, "");
  const uid = options.datasourceUid ?? DEFAULT_TEMPO_DATASOURCE_UID;
  const panes = {
    tl: {
      datasource: uid,
      queries: [{ refId: "A", datasource: { type: "tempo", uid }, queryType: "traceql", query: "{traceId}" }],
      range: { from: "now-7d", to: "now" },
    },
  };
  // The placeholder survives encoding as %7BtraceId%7D; substitute after encoding.
  const encoded = encodeURIComponent(JSON.stringify(panes)).replace("%7BtraceId%7D", "{traceId}");
  return `${base}/explore?schemaVersion=1&orgId=${options.orgId ?? 1}&panes=${encoded}`;
}

const HEX_ID = /^[0-9a-f]{1,32}$/i;

/** A function from (traceId, spanId) to a URL, or undefined when the IDs are not plain hex. */
export function traceLinker(options: TraceLinkOptions = {}): (traceId: string, spanId?: string | null) => string | undefined {
  const template = options.traceUrlTemplate ?? grafanaExploreTemplate(options);
  return (traceId, spanId) => {
    if (!HEX_ID.test(traceId) || (spanId && !HEX_ID.test(spanId))) return undefined;
    return template.replaceAll("{traceId}", traceId).replaceAll("{spanId}", spanId ?? "");
  };
}
