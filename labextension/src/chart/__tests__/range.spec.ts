import {
  appendBuckets,
  bucketsForWidth,
  coarsen,
  isZoomedIn,
  MAX_POINTS_PER_SERIES,
  panRange,
  sameRange,
  unionExtent
} from '../range';
import type { IBucketColumns } from '../types';

function raw(xs: number[]): IBucketColumns {
  return { x: xs, min: xs.slice(), max: xs.slice(), last: xs.slice(), count: xs.map(() => 1) };
}

describe('bucketsForWidth', () => {
  it('asks for about one bucket per pixel, never more than the cap', () => {
    expect(bucketsForWidth(640.4)).toBe(640);
    expect(bucketsForWidth(10_000)).toBe(MAX_POINTS_PER_SERIES);
    expect(MAX_POINTS_PER_SERIES).toBeLessThanOrEqual(2000);
    expect(bucketsForWidth(0)).toBe(10);
    expect(bucketsForWidth(NaN)).toBe(10);
  });
});

describe('unionExtent', () => {
  it('covers every extent and ignores missing ones', () => {
    expect(unionExtent([[5, 10], null, [0, 7]])).toEqual({ min: 0, max: 10 });
    expect(unionExtent([null, undefined])).toBeNull();
  });
});

describe('sameRange and isZoomedIn', () => {
  it('tolerates rounding but not a real change', () => {
    expect(sameRange({ min: 0, max: 100 }, { min: 1e-9, max: 100 })).toBe(true);
    expect(sameRange({ min: 0, max: 100 }, { min: 1, max: 100 })).toBe(false);
  });

  it('sees a zoom only when less than the whole range is shown', () => {
    const full = { min: 0, max: 1000 };
    expect(isZoomedIn({ min: 100, max: 500 }, full)).toBe(true);
    expect(isZoomedIn({ min: -50, max: 1050 }, full)).toBe(false);
    expect(isZoomedIn(full, full)).toBe(false);
  });
});

describe('panRange', () => {
  it('moves the range and keeps its span inside the bounds', () => {
    const bounds = { min: 0, max: 100 };
    expect(panRange({ min: 10, max: 20 }, 5, bounds)).toEqual({ min: 15, max: 25 });
    expect(panRange({ min: 10, max: 20 }, -50, bounds)).toEqual({ min: 0, max: 10 });
    expect(panRange({ min: 80, max: 90 }, 50, bounds)).toEqual({ min: 90, max: 100 });
  });
});

describe('coarsen', () => {
  it('leaves a short series as is', () => {
    const columns = raw([1, 2, 3]);
    expect(coarsen(columns, 5)).toBe(columns);
  });

  it('merges neighbours into min, max, last and summed counts', () => {
    const columns: IBucketColumns = {
      x: [1, 2, 3, 4, 5],
      min: [5, 1, null, 7, 2],
      max: [6, 9, null, 8, 3],
      last: [5.5, 4, null, 7.5, 2.5],
      count: [2, 3, 0, 1, 4]
    };
    expect(coarsen(columns, 3)).toEqual({
      x: [2, 4, 5],
      min: [1, 7, 2],
      max: [9, 8, 3],
      last: [4, 7.5, 2.5],
      count: [5, 1, 4]
    });
  });

  it('keeps a bucket whose values are all null as null', () => {
    const columns: IBucketColumns = { x: [1, 2], min: [null, null], max: [null, null], last: [null, null], count: [1, 1] };
    expect(coarsen(columns, 1)).toEqual({ x: [2], min: [null], max: [null], last: [null], count: [2] });
  });
});

describe('appendBuckets', () => {
  it('adds newer points at the end', () => {
    expect(appendBuckets(raw([1, 2]), raw([3, 4])).x).toEqual([1, 2, 3, 4]);
  });

  it('replaces held buckets at or past the first new x (a grown last bucket)', () => {
    const held = raw([1, 2, 3]);
    const incoming: IBucketColumns = { x: [3, 4], min: [2.5, 4], max: [3.5, 4], last: [3.2, 4], count: [2, 1] };
    const joined = appendBuckets(held, incoming);
    expect(joined.x).toEqual([1, 2, 3, 4]);
    expect(joined.last).toEqual([1, 2, 3.2, 4]);
    expect(joined.count).toEqual([1, 1, 2, 1]);
  });

  it('never holds more than the cap: neighbours are merged', () => {
    let held = raw([]);
    for (let start = 0; start < 5000; start += 100) {
      held = appendBuckets(held, raw(Array.from({ length: 100 }, (_, i) => start + i)), 1000);
      expect(held.x.length).toBeLessThanOrEqual(1000);
    }
    expect(held.count.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(held.x[held.x.length - 1]).toBe(4999);
    expect(held.min[0]).toBe(0);
  });

  it('ignores an empty append', () => {
    const held = raw([1]);
    expect(appendBuckets(held, raw([]))).toBe(held);
  });
});
