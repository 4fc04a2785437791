import type { IChartDataSource, ISeriesRequest } from '../chart/types';
import type { ISeriesBuckets } from '../api';

/** A float series of a run, as the chart's opaque key. */
export interface IRunSeriesRef {
  run: string;
  path: string;
  /** The run's project; absent for the model's project. */
  project?: string;
}

/** The chart key of a run's series (unambiguous whatever the id and path hold). */
export function seriesKey(ref: Pick<IRunSeriesRef, 'run' | 'path'>): string {
  return JSON.stringify([ref.run, ref.path]);
}

/** The run and path a chart key names. */
export function parseSeriesKey(key: string): Pick<IRunSeriesRef, 'run' | 'path'> {
  const [run, path] = JSON.parse(key) as [string, string];
  return { run, path };
}

/** Something that fetches a run's downsampled series (the RunsModel). */
export interface ISeriesFetcher {
  fetchSeries(ref: IRunSeriesRef, request: ISeriesRequest): Promise<ISeriesBuckets>;
}

/** A chart data source over the runs API, for keys made by `seriesKey`. */
export function runsSeriesSource(fetcher: ISeriesFetcher, project?: string): IChartDataSource {
  return {
    fetch: (key, request) => fetcher.fetchSeries({ ...parseSeriesKey(key), project }, request)
  };
}
