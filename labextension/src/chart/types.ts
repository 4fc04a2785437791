import type { ISeriesBuckets } from '../api';

export type { ISeriesBuckets };

/** What the x axis shows: the step of each point, or its time (seconds since the epoch). */
export type XAxisKind = 'step' | 'time';

/** A part of one series the chart asks its data source for. */
export interface ISeriesRequest {
  xAxis: XAxisKind;
  /** The x range wanted; both absent for the whole series. */
  start?: number;
  end?: number;
  /** At most this many buckets (about one per pixel of the chart's width). */
  buckets: number;
}

/**
 * Where a chart gets its points: the runs panel asks the server extension,
 * the inline widget asks its kernel. Keys are opaque to the chart.
 */
export interface IChartDataSource {
  fetch(seriesKey: string, request: ISeriesRequest): Promise<ISeriesBuckets>;
}

/** One line on a chart. */
export interface IChartSeries {
  /** What the data source is asked for. */
  key: string;
  /** The legend's name for it, e.g. a run id or a path. */
  label: string;
  /** The field it draws (e.g. "train/loss"), which titles the y axis. */
  path?: string;
  /** Its colour (CSS); by default the palette's colour of its place in the list. */
  color?: string;
}

/** The points of one series as the chart holds them: a subset of ISeriesBuckets. */
export interface IBucketColumns {
  x: number[];
  min: (number | null)[];
  max: (number | null)[];
  last: (number | null)[];
  count: number[];
}

/** A closed x range. */
export interface IXRange {
  min: number;
  max: number;
}
