export * from "./object-store";
export { MeteredObjectStore, type ReadTally } from "./metered";
export { parseBucketUrl, BucketUrlError, type BucketLocation } from "./url";
export { R2BindingObjectStore, type R2BucketLike } from "./r2-binding";
