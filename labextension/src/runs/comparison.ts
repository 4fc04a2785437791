import type { IChartSeries } from '../chart/types';
import { seriesColor } from '../chart/palette';
import type { IRunDetail } from '../api';
import { seriesKey } from './series';
import { floatSeriesFields, isSystemPath, userPathsFirst } from './tree';

/** How many of the user's metrics a comparison charts at first (the others are a click away). */
export const MAX_DEFAULT_CHARTS = 8;

/** A run as a legend names it: its id, and its name when it has one. */
export function runLabel(run: { id: string; name: string }): string {
  return run.name ? `${run.id} ${run.name}` : run.id;
}

/**
 * The float series paths of the runs: the user's own first, then sys/, monitoring/,
 * source_code/ and notebook/; in each group those all of the runs have first, then the others.
 */
export function comparablePaths(details: readonly IRunDetail[]): string[] {
  const counts = new Map<string, number>();
  for (const detail of details) {
    for (const field of floatSeriesFields(detail.fields)) {
      counts.set(field.path, (counts.get(field.path) ?? 0) + 1);
    }
  }
  const paths = [...counts.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const shared = paths.filter(path => counts.get(path) === details.length);
  return userPathsFirst(
    [...shared, ...paths.filter(path => counts.get(path) !== details.length)],
    path => path
  );
}

/** The paths a comparison charts at first: the user's own (at most MAX_DEFAULT_CHARTS), else the first one. */
export function defaultComparePaths(paths: readonly string[]): string[] {
  const own = paths.filter(path => !isSystemPath(path)).slice(0, MAX_DEFAULT_CHARTS);
  return own.length ? own : paths.slice(0, 1);
}

/** The colour of each run in a comparison: one per run, the same on every chart. */
export function runColors(details: readonly IRunDetail[]): Map<string, string> {
  return new Map(details.map((detail, index) => [detail.id, seriesColor(index)]));
}

/** One chart's lines: the runs that have `path`, each labelled by its run, in the run's colour. */
export function comparisonSeries(details: readonly IRunDetail[], path: string): IChartSeries[] {
  const colors = runColors(details);
  return details
    .filter(detail => detail.fields.some(field => field.path === path))
    .map(detail => ({
      key: seriesKey({ run: detail.id, path }),
      label: runLabel(detail),
      path,
      color: colors.get(detail.id)
    }));
}
