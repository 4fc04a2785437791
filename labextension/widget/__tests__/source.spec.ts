import { KernelSeriesSource } from '../source';
import type { IFetchMessage } from '../source';
import type { ISeriesBuckets } from '../../src/chart';

function buckets(x: number[]): ISeriesBuckets {
  return {
    run: 'R-1',
    path: 'm',
    x_axis: 'step',
    x,
    min: x,
    max: x,
    last: x,
    count: x.map(() => 1),
    in_range: x.length,
    total: x.length,
    extent: x.length ? [x[0], x[x.length - 1]] : null,
    exact: true
  };
}

describe('KernelSeriesSource', () => {
  it('sends a fetch message and resolves with the reply of the same id', async () => {
    const sent: IFetchMessage[] = [];
    const source = new KernelSeriesSource({ send: m => sent.push(m as IFetchMessage) });
    const first = source.fetch('a', { xAxis: 'step', buckets: 100 });
    const second = source.fetch('b', { xAxis: 'time', start: 1, end: 2, buckets: 50 });
    expect(sent).toEqual([
      { type: 'fetch', id: 1, key: 'a', x_axis: 'step', start: null, end: null, buckets: 100 },
      { type: 'fetch', id: 2, key: 'b', x_axis: 'time', start: 1, end: 2, buckets: 50 }
    ]);
    expect(source.handle({ type: 'buckets', id: 2, data: buckets([5]) })).toBe(true);
    expect(source.handle({ type: 'buckets', id: 1, data: buckets([1, 2]) })).toBe(true);
    await expect(second).resolves.toMatchObject({ x: [5] });
    await expect(first).resolves.toMatchObject({ x: [1, 2] });
    expect(source.waiting).toBe(0);
  });

  it('rejects with the kernel error and ignores live and unknown messages', async () => {
    const source = new KernelSeriesSource({ send: () => undefined });
    const fetched = source.fetch('a', { xAxis: 'step', buckets: 10 });
    expect(source.handle({ type: 'series', key: 'a', x_axis: 'step', data: buckets([1]) })).toBe(
      false
    );
    expect(source.handle({ type: 'buckets', id: 99, data: buckets([]) })).toBe(false);
    expect(source.handle({ type: 'error', id: 1, message: 'no such path' })).toBe(true);
    await expect(fetched).rejects.toThrow('no such path');
  });

  it('fails waiting fetches when disposed', async () => {
    const source = new KernelSeriesSource({ send: () => undefined });
    const fetched = source.fetch('a', { xAxis: 'step', buckets: 10 });
    source.dispose();
    await expect(fetched).rejects.toThrow('closed');
  });
});
