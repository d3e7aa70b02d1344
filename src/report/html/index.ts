export { renderHtml, CONTENT_SECURITY_POLICY, type HtmlReportOptions } from "./page";
export { traceLinker, grafanaExploreTemplate, type TraceLinkOptions } from "./links";
export { esc, safeHref } from "./escape";
