// Binary search over anything sorted: the first index at which `before` turns false.

/** The first index in [0, length) for which `before(index)` is false (length when none is), given that `before` is true, then false. */
export function lowerBound(length: number, before: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (before(mid)) low = mid + 1;
    else high = mid;
  }
  return low;
}
