import { parseSeriesKey, runsSeriesSource, seriesKey } from '../series';

describe('series keys', () => {
  it('round-trip any run id and path', () => {
    const ref = { run: 'CLS-1', path: 'metrics/a,b"c/d' };
    expect(parseSeriesKey(seriesKey(ref))).toEqual(ref);
    expect(seriesKey(ref)).not.toBe(seriesKey({ run: 'CLS-1', path: 'metrics/other' }));
  });

  it('route chart fetches to the fetcher with the run and path', async () => {
    const fetchSeries = jest.fn().mockResolvedValue('reply');
    const source = runsSeriesSource({ fetchSeries }, 'ws/p');
    const request = { xAxis: 'step' as const, buckets: 100 };
    await expect(source.fetch(seriesKey({ run: 'R-1', path: 'm/x' }), request)).resolves.toBe('reply');
    expect(fetchSeries).toHaveBeenCalledWith({ run: 'R-1', path: 'm/x', project: 'ws/p' }, request);
  });
});
