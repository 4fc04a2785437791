import type { IRunDetail } from '../../api';
import {
  comparablePaths,
  comparisonSeries,
  defaultComparePaths,
  MAX_DEFAULT_CHARTS,
  runLabel
} from '../comparison';
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

  it("lists the user's series before the system namespaces", () => {
    const paths = comparablePaths([
      detail('A', ['notebook/cells/duration', 'monitoring/cpu', 'zeta/loss', 'sys/x']),
      detail('B', ['notebook/cells/duration', 'monitoring/cpu', 'zeta/loss', 'acc'])
    ]);
    expect(paths).toEqual([
      'zeta/loss',
      'acc',
      'sys/x',
      'monitoring/cpu',
      'notebook/cells/duration'
    ]);
  });
});

describe('defaultComparePaths', () => {
  it('charts what the user logged, not the system namespaces', () => {
    expect(
      defaultComparePaths(['notebook/cells/duration', 'monitoring/cpu', 'metrics/acc', 'loss'])
    ).toEqual(['metrics/acc', 'loss']);
    expect(defaultComparePaths(['monitoring/cpu', 'sys/x'])).toEqual(['monitoring/cpu']);
    expect(defaultComparePaths([])).toEqual([]);
  });

  it('charts at most MAX_DEFAULT_CHARTS at first', () => {
    const many = Array.from({ length: 20 }, (_, i) => `m/${i}`);
    expect(defaultComparePaths(many)).toHaveLength(MAX_DEFAULT_CHARTS);
  });
});

describe('comparisonSeries', () => {
  const runs = [{ ...detail('A-1', ['m/a', 'm/b']), name: 'base' }, detail('A-2', ['m/a'])];

  it('labels lines by run', () => {
    const series = comparisonSeries(runs, 'm/a');
    expect(series.map(s => s.label)).toEqual(['A-1 base', 'A-2']);
    expect(parseSeriesKey(series[1].key)).toEqual({ run: 'A-2', path: 'm/a' });
  });

  it('gives each run one colour on every chart, skipping runs without the path', () => {
    const a = comparisonSeries(runs, 'm/a');
    const b = comparisonSeries(runs, 'm/b');
    expect(b.map(s => s.label)).toEqual(['A-1 base']);
    expect(b[0].color).toBe(a[0].color);
    expect(a[0].color).not.toBe(a[1].color);
  });

  it('names runs by id and name', () => {
    expect(runLabel({ id: 'X-1', name: '' })).toBe('X-1');
  });
});
