// Public surface of the Tempo query-API source.
export { authFromEnv, authHeaders, parseHeaderList, redact, secretsOf, validateTenant, AuthConfigError, AUTH_ENV_VARS, type TempoAuth } from "./auth";
export { TempoClient, type SearchHit, type SearchRequest, type SearchResult, type TempoClientOptions, type TimeHint, type TraceFetchResult } from "./client";
export { emptyTempoAudit, CLI_WORDING, CONFIG_WORDING, type EmptyAuditWording } from "./empty";
export { InterruptedError, TempoError, type TempoErrorKind } from "./errors";
export { fetchTraces, type FetchOutcome } from "./fetch-traces";
export { TempoHttp, parseBaseUrl, type RetryEvent, type TempoHttpOptions } from "./http";
export { buildStrata, discoverTraces, pickSpread, DEFAULT_SAMPLING, type Candidate, type SamplingOptions, type Stratum } from "./plan";
export { backoffDelay, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, type RetryPolicy } from "./retry";
export { TempoSource, DEFAULT_CONCURRENCY, DEFAULT_INGESTION_DELAY_MS, INTERRUPTED_INPUT, type TempoSourceOptions } from "./source";
export { clampToIngestionDelay, formatDuration, parseDuration, parseInstant, resolveWindow, sliceWindow, toUnixSeconds, TimeArgumentError, type TimeWindow } from "./time";
export { serviceQuery, traceqlString } from "./traceql";
