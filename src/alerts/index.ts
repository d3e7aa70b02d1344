export { runAlerts, type AlertRunInput, type AlertRunResult, type AlertLog } from "./run";
export { AlertsConfigSchema, PolicySchema, DestinationSchema, type AlertsConfig, type AlertPolicy, type DestinationConfig } from "./config";
export { MemoryAlertStateStore, ObjectStoreAlertStateStore, emptyAlertState, type AlertState, type AlertStateStore } from "./outbox";
export { deliver, retryAfterMs, type DeliveryOptions, type DeliveryResult } from "./deliver";
export type { Alert, AlertItem } from "./types";
