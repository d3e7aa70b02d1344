// Kept in step with package.json by a test (no JSON import, so the Worker bundle stays lean).
export const TOOL_VERSION = "0.1.0";
