/**
 * The chart's data flow with uPlot replaced by a recorder (jsdom has no canvas):
 * what it asks the data source for, what it hands to uPlot, and when.
 */
import type { ISeriesBuckets } from '../../api';
import { SeriesChart } from '../chart';
import type { IChartDataSource, ISeriesRequest } from '../types';

interface IFakePlot {
  opts: any;
  data: any[];
  scales: { x: { min?: number; max?: number } };
  series: { show: boolean }[];
  bbox: { width: number };
  width: number;
  setData(data: any[]): void;
  setScale(key: string, range: { min: number; max: number }): void;
  setSeries(index: number, opts: { show: boolean }): void;
  batch(fn: () => void): void;
  setSize(size: { width: number }): void;
  destroy(): void;
}

const plots: IFakePlot[] = [];

jest.mock('uplot', () => {
  function FakePlot(this: IFakePlot, opts: any) {
    this.opts = opts;
    this.data = [];
    this.scales = { x: {} };
    this.series = opts.series.map(() => ({ show: true }));
    this.width = opts.width;
    this.bbox = { width: opts.width - 60 };
    plots.push(this);
  }
  FakePlot.prototype.setData = function (this: IFakePlot, data: any[]) {
    this.data = data;
  };
  FakePlot.prototype.setScale = function (this: IFakePlot, key: string, range: any) {
    this.scales.x = { ...range };
    this.opts.hooks.setScale.forEach((hook: any) => hook(this, key));
  };
  FakePlot.prototype.setSeries = function (this: IFakePlot, index: number, opts: any) {
    this.series[index].show = opts.show;
  };
  FakePlot.prototype.batch = function (fn: () => void) {
    fn();
  };
  FakePlot.prototype.setSize = function () {
    return undefined;
  };
  FakePlot.prototype.destroy = function () {
    return undefined;
  };
  (FakePlot as any).pxRatio = 1;
  return { __esModule: true, default: FakePlot };
});

function reply(key: string, xs: number[], request: ISeriesRequest): ISeriesBuckets {
  return {
    run: key,
    path: 'm',
    x_axis: request.xAxis,
    x: xs,
    min: xs.map(x => x - 1),
    max: xs.map(x => x + 1),
    last: xs.map(x => x * 2),
    count: xs.map(() => 1),
    in_range: xs.length,
    total: 1000,
    extent: [0, 999],
    exact: false
  };
}

/** A data source answering every series with points at 0..9 (or inside the asked range). */
function source(): IChartDataSource & { requests: [string, ISeriesRequest][] } {
  const requests: [string, ISeriesRequest][] = [];
  return {
    requests,
    fetch: async (key, request) => {
      requests.push([key, request]);
      const start = request.start ?? 0;
      return reply(key, Array.from({ length: 10 }, (_, i) => start + i), request);
    }
  };
}

/** Give the chart a width, as the page would, and let its first fetch finish. */
async function mount(chart: SeriesChart, width = 660): Promise<IFakePlot> {
  const host = chart.node.querySelector('.nepnb-Chart-plot') as HTMLElement;
  Object.defineProperty(host, 'clientWidth', { configurable: true, value: width });
  document.body.append(chart.node);
  chart.resize();
  await flush();
  return plots[plots.length - 1];
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
}

beforeEach(() => {
  plots.length = 0;
  jest.useRealTimers();
});

describe('SeriesChart', () => {
  it('asks for each series at one bucket per plot pixel and draws them on one x axis', async () => {
    const data = source();
    const chart = new SeriesChart(data, {
      series: [
        { key: 'a', label: 'run A' },
        { key: 'b', label: 'run B' }
      ]
    });
    const plot = await mount(chart);
    expect(data.requests.map(([key, r]) => [key, r.buckets, r.start])).toEqual([
      ['a', 600, undefined],
      ['b', 600, undefined]
    ]);
    // x, then line, raw, min and max of each series
    expect(plot.data.length).toBe(9);
    expect(plot.data[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(plot.data[1]).toEqual(plot.data[0].map((x: number) => x * 2));
    expect(plot.opts.series.map((s: any) => s.label)).toEqual([
      'step',
      'run A',
      'run A (raw)',
      'run A min',
      'run A max',
      'run B',
      'run B (raw)',
      'run B min',
      'run B max'
    ]);
    expect(plot.opts.bands).toEqual([
      expect.objectContaining({ series: [4, 3] }),
      expect.objectContaining({ series: [8, 7] })
    ]);
    expect(plot.scales.x).toEqual({ min: 0, max: 999 });
    expect(chart.node.dataset.points).toBe('20');
    expect(chart.node.dataset.series).toBe('2');
    chart.dispose();
  });

  it('asks for the visible range again after a zoom, and for everything after a reset', async () => {
    jest.useFakeTimers();
    const data = source();
    const chart = new SeriesChart(data, { series: [{ key: 'a', label: 'A' }] });
    const plot = await mount(chart);
    data.requests.length = 0;

    plot.setScale('x', { min: 100, max: 200 }); // what a drag does
    await jest.advanceTimersByTimeAsync(200);
    expect(data.requests).toEqual([['a', expect.objectContaining({ start: 100, end: 200, buckets: 600 })]]);
    expect(plot.scales.x).toEqual({ min: 100, max: 200 });
    expect(plot.data[0][0]).toBe(100);
    const reset = chart.node.querySelector('.nepnb-Chart-reset') as HTMLButtonElement;
    expect(reset.disabled).toBe(false);

    data.requests.length = 0;
    reset.click();
    await jest.advanceTimersByTimeAsync(0);
    expect(data.requests).toEqual([['a', expect.not.objectContaining({ start: expect.anything() })]]);
    expect(reset.disabled).toBe(true);
    expect(plot.scales.x).toEqual({ min: 0, max: 999 });
    chart.dispose();
  });

  it('smooths the line and shows the raw one faintly only while smoothing', async () => {
    const chart = new SeriesChart(source(), { series: [{ key: 'a', label: 'A' }] });
    const plot = await mount(chart);
    expect(plot.series[2].show).toBe(false);
    const slider = chart.node.querySelector('.nepnb-Chart-smoothing') as HTMLInputElement;
    slider.value = '0.9';
    slider.dispatchEvent(new Event('input'));
    expect(plot.series[2].show).toBe(true);
    expect(plot.data[2]).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(plot.data[1][9]).toBeLessThan(18);
    chart.dispose();
  });

  it('makes a log-scale plot when asked and keeps the data', async () => {
    const chart = new SeriesChart(source(), { series: [{ key: 'a', label: 'A' }] });
    await mount(chart);
    const log = chart.node.querySelector('.nepnb-Chart-log') as HTMLInputElement;
    log.checked = true;
    log.dispatchEvent(new Event('change'));
    const plot = plots[plots.length - 1];
    expect(plot.opts.scales.y).toEqual({ distr: 3, log: 10 });
    expect(plot.data[1]).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    chart.dispose();
  });

  it('takes live buckets and redraws at most every quarter second', async () => {
    jest.useFakeTimers();
    const chart = new SeriesChart(source(), { series: [{ key: 'a', label: 'A' }] });
    const plot = await mount(chart);
    const setData = jest.spyOn(plot, 'setData');
    for (let x = 10; x < 20; x++) {
      chart.append('a', { x: [x], min: [x], max: [x], last: [x], count: [1] });
    }
    expect(setData).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(300);
    expect(setData).toHaveBeenCalledTimes(1);
    expect(plot.data[0]).toHaveLength(20);
    expect(chart.node.dataset.points).toBe('20');
    chart.dispose();
  });
});
