import type { IChartSeries } from '../chart/types';
import type { IRunDetail } from '../api';
import { seriesKey } from './series';
import { floatSeriesFields } from './tree';

/** A run as a legend names it: its id, and its name when it has one. */
export function runLabel(run: { id: string; name: string }): string {
  return run.name ? `${run.id} ${run.name}` : run.id;
}

/** The float series paths of the runs: those all of them have first, then the others. */
export function comparablePaths(details: readonly IRunDetail[]): string[] {
  const counts = new Map<string, number>();
  for (const detail of details) {
    for (const field of floatSeriesFields(detail.fields)) {
      counts.set(field.path, (counts.get(field.path) ?? 0) + 1);
    }
  }
  const paths = [...counts.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const shared = paths.filter(path => counts.get(path) === details.length);
  return [...shared, ...paths.filter(path => counts.get(path) !== details.length)];
}

/** The path a comparison starts with: the first one logged by the user (not sys/ nor monitoring/). */
export function defaultComparePath(paths: readonly string[]): string | null {
  const own = paths.find(path => !/^(sys|monitoring)\//.test(path));
  return own ?? paths[0] ?? null;
}

/** The chart lines of a comparison: each path of each run that has it, labelled by run (and path when several). */
export function comparisonSeries(
  details: readonly IRunDetail[],
  paths: readonly string[]
): IChartSeries[] {
  return paths.flatMap(path =>
    details
      .filter(detail => detail.fields.some(field => field.path === path))
      .map(detail => ({
        key: seriesKey({ run: detail.id, path }),
        label: paths.length > 1 ? `${runLabel(detail)} · ${path}` : runLabel(detail)
      }))
  );
}
