import type { IRunDetail } from '../../api';
import { comparablePaths, comparisonSeries, defaultComparePath, runLabel } from '../comparison';
import { parseSeriesKey } from '../series';

function detail(id: string, series: string[]): IRunDetail {
  return {
    project: 'p',
    id,
    name: '',
    state: 'inactive',
    fields: [
      ...series.map(path => ({ path, type: 'floatSeries', value: 1 })),
      { path: 'params/lr', type: 'float', value: 0.1 }
    ]
  };
}

describe('comparablePaths', () => {
  it('lists shared float series first, then the others', () => {
    const paths = comparablePaths([
      detail('A', ['metrics/loss', 'metrics/acc', 'only/a']),
      detail('B', ['metrics/acc', 'metrics/loss', 'only/b'])
    ]);
    expect(paths).toEqual(['metrics/acc', 'metrics/loss', 'only/a', 'only/b']);
  });
});

describe('defaultComparePath', () => {
  it('prefers what the user logged over sys/ and monitoring/', () => {
    expect(defaultComparePath(['monitoring/cpu', 'metrics/acc'])).toBe('metrics/acc');
    expect(defaultComparePath(['monitoring/cpu'])).toBe('monitoring/cpu');
    expect(defaultComparePath([])).toBeNull();
  });
});

describe('comparisonSeries', () => {
  const runs = [{ ...detail('A-1', ['m/a', 'm/b']), name: 'base' }, detail('A-2', ['m/a'])];

  it('labels lines by run for one path', () => {
    const series = comparisonSeries(runs, ['m/a']);
    expect(series.map(s => s.label)).toEqual(['A-1 base', 'A-2']);
    expect(parseSeriesKey(series[1].key)).toEqual({ run: 'A-2', path: 'm/a' });
  });

  it('labels lines by run and path for several paths, skipping runs without the path', () => {
    const series = comparisonSeries(runs, ['m/a', 'm/b']);
    expect(series.map(s => s.label)).toEqual(['A-1 base · m/a', 'A-2 · m/a', 'A-1 base · m/b']);
  });

  it('names runs by id and name', () => {
    expect(runLabel({ id: 'X-1', name: '' })).toBe('X-1');
  });
});
