import type { AlignedValue, IAlignedSeries } from './align';
import { emaSmooth } from './smooth';

/**
 * Each series of the chart is four uPlot series, in this order after x:
 * the line (smoothed when smoothing is on), the raw line kept faint,
 * and the min and max of the buckets (the edges of a band).
 */
export const PLOT_SERIES_PER_LINE = 4;

/** Where a line's parts sit in uPlot's series (index 0 is x). */
export interface ILinePlotIndexes {
  line: number;
  raw: number;
  min: number;
  max: number;
}

export function plotIndexes(lineIndex: number): ILinePlotIndexes {
  const line = 1 + lineIndex * PLOT_SERIES_PER_LINE;
  return { line, raw: line + 1, min: line + 2, max: line + 3 };
}

/** The line whose part a uPlot series index is (null for x). */
export function lineOfPlotIndex(plotIndex: number): number | null {
  return plotIndex < 1 ? null : Math.floor((plotIndex - 1) / PLOT_SERIES_PER_LINE);
}

/** uPlot's data columns for aligned series: x, then each line's four parts. */
export function plotColumns(
  aligned: IAlignedSeries,
  smoothing: number
): [number[], ...AlignedValue[][]] {
  const columns: [number[], ...AlignedValue[][]] = [aligned.x];
  for (const series of aligned.series) {
    columns.push(emaSmooth(series.last, smoothing), series.last, series.min, series.max);
  }
  return columns;
}
