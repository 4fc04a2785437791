import { alignSeries, countDrawn, unionX } from '../align';
import type { IBucketColumns } from '../types';

function columns(x: number[], last: (number | null)[]): IBucketColumns {
  return { x, last, min: last.map(v => (v === null ? null : v - 1)), max: last.map(v => (v === null ? null : v + 1)), count: x.map(() => 1) };
}

describe('unionX', () => {
  it('sorts and deduplicates the x values of all series', () => {
    expect(unionX([columns([0, 2, 4], [1, 2, 3]), columns([1, 2, 5], [1, 2, 3])])).toEqual([0, 1, 2, 4, 5]);
  });

  it('is empty for no series or empty series', () => {
    expect(unionX([])).toEqual([]);
    expect(unionX([columns([], [])])).toEqual([]);
  });
});

describe('alignSeries', () => {
  it('puts each series on the shared x with undefined where it has no point', () => {
    const aligned = alignSeries([columns([0, 2], [10, 12]), columns([1, 2], [21, 22])]);
    expect(aligned.x).toEqual([0, 1, 2]);
    expect(aligned.series[0].last).toEqual([10, undefined, 12]);
    expect(aligned.series[1].last).toEqual([undefined, 21, 22]);
    expect(aligned.series[0].min).toEqual([9, undefined, 11]);
    expect(aligned.series[1].max).toEqual([undefined, 22, 23]);
  });

  it('keeps a null (a non-finite value) as a gap, distinct from a missing point', () => {
    const aligned = alignSeries([columns([0, 1, 2], [1, null, 3]), columns([3], [4])]);
    expect(aligned.series[0].last).toEqual([1, null, 3, undefined]);
  });
});

describe('countDrawn', () => {
  it('counts values that are neither gaps nor holes', () => {
    expect(countDrawn([1, null, undefined, 0, -2])).toBe(3);
  });
});
