import type { IBucketColumns, IXRange } from './types';

/** Never more points than this per series go to the canvas. */
export const MAX_POINTS_PER_SERIES = 2000;

/** How many buckets to ask for: about one per pixel, within [10, maxPoints]. */
export function bucketsForWidth(
  widthPx: number,
  maxPoints = MAX_POINTS_PER_SERIES
): number {
  const wanted = Math.round(Number.isFinite(widthPx) ? widthPx : 0);
  return Math.max(10, Math.min(maxPoints, wanted));
}

/** The smallest range holding every extent (null when there is none). */
export function unionExtent(
  extents: readonly (readonly [number, number] | null | undefined)[]
): IXRange | null {
  let range: IXRange | null = null;
  for (const extent of extents) {
    if (!extent) {
      continue;
    }
    range = range
      ? { min: Math.min(range.min, extent[0]), max: Math.max(range.max, extent[1]) }
      : { min: extent[0], max: extent[1] };
  }
  return range;
}

/** True when the two ranges differ by less than `tolerance` of the wider one's span. */
export function sameRange(a: IXRange, b: IXRange, tolerance = 1e-6): boolean {
  const span = Math.max(a.max - a.min, b.max - b.min, Number.MIN_VALUE);
  return (
    Math.abs(a.min - b.min) <= tolerance * span &&
    Math.abs(a.max - b.max) <= tolerance * span
  );
}

/** True when `visible` shows less than the whole of `full`. */
export function isZoomedIn(visible: IXRange, full: IXRange): boolean {
  return !sameRange(
    { min: Math.max(visible.min, full.min), max: Math.min(visible.max, full.max) },
    full,
    1e-3
  );
}

/** Move a range by `delta`, kept inside `bounds` when its span fits there. */
export function panRange(range: IXRange, delta: number, bounds: IXRange): IXRange {
  const span = range.max - range.min;
  let min = range.min + delta;
  if (span <= bounds.max - bounds.min) {
    min = Math.min(Math.max(min, bounds.min), bounds.max - span);
  }
  return { min, max: min + span };
}

function minOf(values: readonly (number | null)[], from: number, to: number): number | null {
  let best: number | null = null;
  for (let i = from; i < to; i++) {
    const value = values[i];
    if (value !== null && (best === null || value < best)) {
      best = value;
    }
  }
  return best;
}

function maxOf(values: readonly (number | null)[], from: number, to: number): number | null {
  let best: number | null = null;
  for (let i = from; i < to; i++) {
    const value = values[i];
    if (value !== null && (best === null || value > best)) {
      best = value;
    }
  }
  return best;
}

/**
 * Merge consecutive buckets until there are at most `maxPoints`:
 * each merged bucket keeps the min of the mins, the max of the maxes,
 * the last point's x and value, and the sum of the counts.
 */
export function coarsen(columns: IBucketColumns, maxPoints: number): IBucketColumns {
  const n = columns.x.length;
  if (n <= maxPoints) {
    return columns;
  }
  const factor = Math.ceil(n / maxPoints);
  const merged: IBucketColumns = { x: [], min: [], max: [], last: [], count: [] };
  for (let from = 0; from < n; from += factor) {
    const to = Math.min(from + factor, n);
    merged.x.push(columns.x[to - 1]);
    merged.last.push(columns.last[to - 1]);
    merged.min.push(minOf(columns.min, from, to));
    merged.max.push(maxOf(columns.max, from, to));
    let count = 0;
    for (let i = from; i < to; i++) {
      count += columns.count[i];
    }
    merged.count.push(count);
  }
  return merged;
}

/**
 * Add live buckets at the end of a held series. Held buckets at or past the
 * first new x are replaced (the newest bucket may have grown); when the
 * result has more than `maxPoints`, neighbours are merged.
 */
export function appendBuckets(
  held: IBucketColumns,
  incoming: IBucketColumns,
  maxPoints = MAX_POINTS_PER_SERIES
): IBucketColumns {
  if (incoming.x.length === 0) {
    return held;
  }
  const firstNew = incoming.x[0];
  let keep = held.x.length;
  while (keep > 0 && held.x[keep - 1] >= firstNew) {
    keep--;
  }
  const joined: IBucketColumns = {
    x: held.x.slice(0, keep).concat(incoming.x),
    min: held.min.slice(0, keep).concat(incoming.min),
    max: held.max.slice(0, keep).concat(incoming.max),
    last: held.last.slice(0, keep).concat(incoming.last),
    count: held.count.slice(0, keep).concat(incoming.count)
  };
  return coarsen(joined, maxPoints);
}
