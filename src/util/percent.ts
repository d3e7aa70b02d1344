/**
 * A percentage with one decimal that never rounds to the end points: a coverage short of 100 % never
 * reads "100.0 %" (1999/2000 on an error finding; shown as 99.9), a non-zero one never "0.0 %".
 */
export function percentDigits(value: number): string {
  if (value > 0 && value < 0.05) return "< 0.1";
  const rounded = Math.round(value * 10) / 10;
  return (value < 100 && rounded >= 100 ? 99.9 : rounded).toFixed(1);
}
