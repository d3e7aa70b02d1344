// Context-propagation coverage per service and per caller→callee edge, and split-trace detection.
// See docs/propagation.md for the definitions.
export { propagationAnalysis, PropagationAnalysis, PropagationOptionsSchema, type PropagationOptions } from "./analysis";
export { compareEdges, compareServices, type CoverageResult, type EdgeCoverage, type ServiceCoverage } from "./coverage";
export { culpritOf, formatPercent, type Culprit } from "./culprit";
export { coverageSection, type CoverageSection } from "./section";
