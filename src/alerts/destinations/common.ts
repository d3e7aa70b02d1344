// Shared wording for every destination.
import type { Alert, AlertItem } from "../types";

export const SEVERITY_LABEL = { error: "ERROR", warning: "WARNING", info: "INFO" } as const;
export const SEVERITY_COLOR = { error: 0xc62828, warning: 0xd97706, info: 0x2563eb } as const;
const CHANGE_LABEL: Record<AlertItem["change"], string> = {
  new: "new",
  worsened: "worsened",
  "coverage-drop": "coverage drop",
  repeat: "still open",
  audit: "audit",
  resolved: "resolved",
};

/** `ERROR · new · <text>` (plain text; escape for the destination's markup). */
export function itemLine(item: AlertItem): string {
  return `${SEVERITY_LABEL[item.severity]} · ${CHANGE_LABEL[item.change]} · ${item.text}`;
}

export function fallbackText(alert: Alert): string {
  return `${alert.title}: ${alert.summary}`;
}
