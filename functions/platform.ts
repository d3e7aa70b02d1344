// The few Cloudflare runtime types the Worker uses, declared structurally so that `functions/`
// type-checks with the project's Node types as well as inside the workers test pool.
import type { R2BucketLike } from "../src/storage/r2-binding";

export interface QueueLike<Body> {
  send(body: Body, options?: { contentType?: "json" }): Promise<void>;
  sendBatch(messages: Iterable<{ body: Body; contentType?: "json" }>): Promise<void>;
}

export interface MessageLike<Body> {
  readonly id: string;
  readonly attempts: number;
  readonly body: Body;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface MessageBatchLike<Body> {
  readonly queue: string;
  readonly messages: readonly MessageLike<Body>[];
}

export interface ScheduledControllerLike {
  readonly scheduledTime: number;
  readonly cron: string;
}

export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

export interface DurableObjectStubLike {
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): DurableObjectStubLike;
}

export interface DurableObjectStorageLike {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export interface DurableObjectStateLike {
  readonly storage: DurableObjectStorageLike;
}

export interface Env {
  /** Reports, run records, partial states and alert state. */
  REPORTS: R2BucketLike;
  /** Trace bucket of object-storage audits (Tempo blocks, awss3exporter archives) whose `binding` names it. */
  TRACES?: R2BucketLike;
  /** Batches of a fanned-out run (and `start` messages from POST /api/audits). */
  AUDIT_QUEUE?: QueueLike<unknown>;
  /** One RunCoordinator per run: the atomic batch counter. */
  RUN_COORDINATOR: DurableObjectNamespaceLike;
  /** The deployment config (JSON string, or a table in [vars]). */
  TRACELINT_CONFIG?: unknown;
  /** Name of the dead-letter queue (messages from it mark their run failed). */
  DLQ_NAME?: string;
  /** Secret: bearer token for the API. */
  API_TOKEN?: string;
  [name: string]: unknown;
}
