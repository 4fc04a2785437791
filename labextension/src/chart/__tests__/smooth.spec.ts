import { emaSmooth } from '../smooth';

describe('emaSmooth', () => {
  it('returns a copy of the values at weight 0', () => {
    const values = [1, 5, null, 2];
    const smoothed = emaSmooth(values, 0);
    expect(smoothed).toEqual(values);
    expect(smoothed).not.toBe(values);
  });

  it('is debiased: a constant series stays constant', () => {
    for (const value of emaSmooth([3, 3, 3, 3], 0.9)) {
      expect(value).toBeCloseTo(3, 12);
    }
  });

  it('follows the EMA recurrence', () => {
    const w = 0.5;
    const [a, b] = emaSmooth([0, 4], w) as number[];
    expect(a).toBe(0);
    // (0.5 * 0.5*0 + 0.5 * 4) / (1 - 0.25)
    expect(b).toBeCloseTo(((1 - w) * (w * 0) + (1 - w) * 4) / (1 - w * w), 12);
  });

  it('skips nulls and holes without moving the average', () => {
    const withGaps = emaSmooth([1, null, undefined, 5], 0.6);
    const without = emaSmooth([1, 5], 0.6);
    expect(withGaps[1]).toBeNull();
    expect(withGaps[2]).toBeUndefined();
    expect(withGaps[3]).toBeCloseTo(without[1] as number, 12);
  });

  it('keeps non-finite values where they are and out of the average', () => {
    const smoothed = emaSmooth([2, NaN, Infinity, 2], 0.9);
    expect(smoothed[1]).toBeNaN();
    expect(smoothed[2]).toBe(Infinity);
    expect(smoothed[3]).toBeCloseTo(2, 12);
  });

  it('smooths a step less the lower the weight', () => {
    const values = [0, 0, 0, 10, 10];
    const light = emaSmooth(values, 0.2)[3] as number;
    const heavy = emaSmooth(values, 0.9)[3] as number;
    expect(light).toBeGreaterThan(heavy);
    expect(heavy).toBeGreaterThan(0);
    expect(light).toBeLessThan(10);
  });
});
