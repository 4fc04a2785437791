import { lineOfPlotIndex, plotColumns, plotIndexes, PLOT_SERIES_PER_LINE } from '../layout';

describe('plot layout', () => {
  it('gives each line four consecutive uPlot series after x', () => {
    expect(plotIndexes(0)).toEqual({ line: 1, raw: 2, min: 3, max: 4 });
    expect(plotIndexes(2)).toEqual({ line: 9, raw: 10, min: 11, max: 12 });
    expect(lineOfPlotIndex(0)).toBeNull();
    for (let plotIndex = 1; plotIndex <= 12; plotIndex++) {
      expect(lineOfPlotIndex(plotIndex)).toBe(Math.floor((plotIndex - 1) / PLOT_SERIES_PER_LINE));
    }
  });

  it('builds x, then smoothed line, raw line, min and max per series', () => {
    const columns = plotColumns(
      { x: [0, 1], series: [{ last: [2, 2], min: [1, 1], max: [3, 3] }, { last: [5, undefined], min: [4, undefined], max: [6, undefined] }] },
      0.5
    );
    expect(columns.length).toBe(1 + 2 * PLOT_SERIES_PER_LINE);
    expect(columns[0]).toEqual([0, 1]);
    expect(columns[2]).toEqual([2, 2]);
    expect(columns[3]).toEqual([1, 1]);
    expect(columns[4]).toEqual([3, 3]);
    expect(columns[5]).toEqual([5, undefined]);
    expect((columns[1] as number[])[1]).toBeCloseTo(2, 12);
  });
});
