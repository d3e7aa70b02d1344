/** Shortens to `max` characters (code points, so no surrogate pair is split) with an ellipsis. */
export function clip(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}
