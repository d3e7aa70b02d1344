// Span-name templates: tokenise, replace values with placeholders, cluster what remains.
export { classifyToken, isDataLike, isPlaceholder, maskStructures, Placeholder } from "./classify";
export { redactTemplateTokens } from "./redact";
export { deriveTemplate, hasPlaceholder, renderTemplate, splitTokens, templateTokens } from "./tokenize";
export { Drain, DEFAULT_DRAIN_OPTIONS, similarity, type Cluster, type DrainOptions } from "./drain";
