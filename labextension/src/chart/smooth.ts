import type { AlignedValue } from './align';

/**
 * Exponential moving average with TensorBoard's debiasing, skipping gaps.
 *
 * `weight` is in [0, 1): 0 returns the values as they are. Null and
 * undefined entries are kept where they are and do not move the average;
 * neither do non-finite numbers (they are kept as is).
 */
export function emaSmooth(
  values: readonly AlignedValue[],
  weight: number
): AlignedValue[] {
  if (!(weight > 0)) {
    return values.slice();
  }
  const w = Math.min(weight, 0.999);
  let average = 0;
  let seen = 0;
  return values.map(value => {
    if (value === null || value === undefined || !Number.isFinite(value)) {
      return value;
    }
    seen++;
    average = average * w + (1 - w) * value;
    return average / (1 - Math.pow(w, seen));
  });
}
