import type uPlot from 'uplot';

import { plotOptions } from '../options';

function options(patch: { xAxis?: 'step' | 'time'; logScale?: boolean } = {}) {
  const handlers = {
    onScale: jest.fn(),
    onLineToggled: jest.fn(),
    onDoubleClick: jest.fn(),
    onShiftDrag: jest.fn()
  };
  const opts = plotOptions({
    width: 500,
    height: 200,
    settings: { xAxis: patch.xAxis ?? 'step', logScale: patch.logScale ?? false, smoothing: 0 },
    labels: ['A', 'B'],
    yLabel: 'train/loss',
    theme: { text: '#111', grid: '#eee', font: '11px sans-serif' },
    handlers
  });
  return { opts, handlers };
}

describe('plotOptions', () => {
  it('gives each line a legend entry, hidden parts and a min/max band', () => {
    const { opts } = options();
    expect(opts.series.map(s => [s.label, s.class])).toEqual([
      ['step', undefined],
      ['A', undefined],
      ['A (raw)', 'nepnb-Chart-aux'],
      ['A min', 'nepnb-Chart-aux'],
      ['A max', 'nepnb-Chart-aux'],
      ['B', undefined],
      ['B (raw)', 'nepnb-Chart-aux'],
      ['B min', 'nepnb-Chart-aux'],
      ['B max', 'nepnb-Chart-aux']
    ]);
    expect(opts.bands?.map(b => b.series)).toEqual([
      [4, 3],
      [8, 7]
    ]);
    expect(opts.axes?.[0].stroke).toBe('#111');
  });

  it('sets a time x scale and a log y scale when asked', () => {
    expect(options().opts.scales).toEqual({ x: { time: false }, y: {} });
    expect(options({ xAxis: 'time', logScale: true }).opts.scales).toEqual({
      x: { time: true },
      y: { distr: 3, log: 10 }
    });
  });

  it('formats legend values and step ticks', () => {
    const { opts } = options();
    const plot = {} as uPlot;
    const value = opts.series[1].value as (u: uPlot, v: number, s: number, i: number) => string;
    expect(value(plot, 0.123456, 1, 0)).toBe('0.1235');
    const ticks = opts.axes?.[0].values as (u: uPlot, splits: number[]) => string[];
    expect(ticks(plot, [0, 500, 1000])).toEqual(['0', '500', '1000']);
  });

  it('shows the last value in the legend off the plot, never "–" while there is one', () => {
    const { opts } = options();
    const plot = { data: [[0, 1, 2], [0.5, 0.25, null]] } as unknown as uPlot;
    const value = opts.series[1].value as (
      u: uPlot,
      v: number | null,
      s: number,
      i: number | null
    ) => string;
    expect(value(plot, null, 1, null)).toBe('0.25');
    const step = opts.series[0].value as typeof value;
    expect(step(plot, null, 0, null)).toBe('2');
  });

  it('titles the y axis and fills the legend swatches with the line colours', () => {
    const { opts } = options();
    expect(opts.axes?.[1].label).toBe('train/loss');
    expect(opts.axes?.[1].font).toBe('11px sans-serif');
    const fill = opts.legend?.markers?.fill as (u: uPlot, i: number) => string;
    expect(fill({} as uPlot, 1)).toBe('#4e79a7');
    expect(fill({} as uPlot, 5)).toBe('#f28e2b');
    expect(opts.legend?.markers?.width).toBe(0);
  });

  it('reports legend toggles of lines only, not of their parts', () => {
    const { opts, handlers } = options();
    const hook = opts.hooks!.setSeries![0]!;
    hook({} as uPlot, 5, { show: false });
    hook({} as uPlot, 3, { show: false });
    hook({} as uPlot, null, { show: false });
    expect(handlers.onLineToggled.mock.calls).toEqual([[1, false]]);
  });

  it('sends double clicks and shift drags to the chart, plain drags to uPlot', () => {
    const { opts, handlers } = options();
    const bind = opts.cursor!.bind!;
    const uPlotHandler = jest.fn();
    const mousedown = bind.mousedown!({} as uPlot, document.body, uPlotHandler)!;
    mousedown(new MouseEvent('mousedown', { shiftKey: true }));
    expect(handlers.onShiftDrag).toHaveBeenCalledTimes(1);
    expect(uPlotHandler).not.toHaveBeenCalled();
    mousedown(new MouseEvent('mousedown'));
    expect(uPlotHandler).toHaveBeenCalledTimes(1);
    bind.dblclick!({} as uPlot, document.body, jest.fn())!(new MouseEvent('dblclick'));
    expect(handlers.onDoubleClick).toHaveBeenCalledTimes(1);
  });
});
