// What the HTTP API needs from its host (Worker or `tracelint serve`), resolved per request
// because Worker bindings and secrets only exist at request time.
import type { DeploymentConfig, AuditConfig } from "../config/deployment";
import type { RunCounter } from "../runs/ledger";
import type { RunStore } from "../runs/run-store";
import type { RunRecord } from "../runs/types";

export interface AppServices {
  store: RunStore;
  counter: RunCounter;
  apiToken: string | undefined;
  /** The validated deployment config; throws DeploymentConfigError when it is invalid. */
  config(): DeploymentConfig;
  /**
   * Creates the run record and starts the audit in the background; returns the queued record.
   * `at` is when the audited window ends (before the ingestion delay); default now. May throw
   * AuditRunningError (the audit has a run going on: 409) or StoreUnavailableError (the run could
   * not be recorded: 503), see errors.ts.
   */
  startAudit(audit: AuditConfig, at?: Date): Promise<RunRecord>;
}
