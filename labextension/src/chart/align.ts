import type { IBucketColumns } from './types';

/** A value on the shared x axis: a number, a real gap (null), or no point at this x (undefined). */
export type AlignedValue = number | null | undefined;

/** The columns of one series put on the shared x axis. */
export interface IAlignedColumns {
  last: AlignedValue[];
  min: AlignedValue[];
  max: AlignedValue[];
}

/** Several series on one x axis, the shape uPlot draws. */
export interface IAlignedSeries {
  x: number[];
  series: IAlignedColumns[];
}

/** The sorted distinct x values of all the series. */
export function unionX(columns: readonly IBucketColumns[]): number[] {
  const all = new Float64Array(columns.reduce((n, c) => n + c.x.length, 0));
  let offset = 0;
  for (const column of columns) {
    all.set(column.x, offset);
    offset += column.x.length;
  }
  all.sort();
  const distinct: number[] = [];
  for (let i = 0; i < all.length; i++) {
    if (i === 0 || all[i] !== all[i - 1]) {
      distinct.push(all[i]);
    }
  }
  return distinct;
}

/**
 * Merge series onto the union of their x values.
 *
 * Where a series has no point at an x its value is `undefined` (uPlot draws
 * the line across it); a null it holds (a non-finite value) stays null (a gap).
 */
export function alignSeries(columns: readonly IBucketColumns[]): IAlignedSeries {
  const x = unionX(columns);
  const indexOfX = new Map<number, number>();
  x.forEach((value, index) => indexOfX.set(value, index));
  const series = columns.map(column => {
    const aligned: IAlignedColumns = {
      last: new Array<AlignedValue>(x.length).fill(undefined),
      min: new Array<AlignedValue>(x.length).fill(undefined),
      max: new Array<AlignedValue>(x.length).fill(undefined)
    };
    column.x.forEach((value, i) => {
      const index = indexOfX.get(value) as number;
      aligned.last[index] = column.last[i];
      aligned.min[index] = column.min[i];
      aligned.max[index] = column.max[i];
    });
    return aligned;
  });
  return { x, series };
}

/** How many values of a column are drawn (neither a gap nor an alignment hole). */
export function countDrawn(values: readonly AlignedValue[]): number {
  let drawn = 0;
  for (const value of values) {
    if (value !== null && value !== undefined) {
      drawn++;
    }
  }
  return drawn;
}
