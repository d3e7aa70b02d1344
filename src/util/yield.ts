// Long synchronous stretches (decoding a row group, analysing its traces) keep a server from
// answering anything else — `tracelint serve`'s /healthz timed out for 20 s during a blocks audit.
// Awaiting a resolved promise does not help: only a macrotask lets pending I/O callbacks run.

/** Resolves on a later turn of the event loop (Node and workerd alike). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
