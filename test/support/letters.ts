/** Short letter strings `b`, `c`, …, `ba`, …: words, never values (distinct span names in tests). */
export function letters(i: number): string {
  let out = "";
  let n = i + 1;
  while (n > 0) {
    out += String.fromCharCode(97 + (n % 26));
    n = Math.floor(n / 26);
  }
  return out;
}
