import { formatNumber, formatStep, formatTime } from '../format';

describe('formatNumber', () => {
  it.each([
    [0.934567, '0.9346'],
    [3.14159, '3.142'],
    [12345.6, '12346'],
    [-2.5, '-2.5'],
    [0.0012346, '0.001235'],
    [0, '0'],
    [1.5e7, '1.5e+7'],
    [2e-5, '2e-5'],
    [123456789, '1.23e+8']
  ])('%p → %p', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it('names missing and non-finite values', () => {
    expect(formatNumber(null)).toBe('–');
    expect(formatNumber(undefined)).toBe('–');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(Infinity)).toBe('∞');
    expect(formatNumber(-Infinity)).toBe('-∞');
  });
});

describe('formatStep', () => {
  it('shows integer steps in full and shortens fractions', () => {
    expect(formatStep(1234567)).toBe('1234567');
    expect(formatStep(2.5)).toBe('2.5');
    expect(formatStep(1 / 3)).toBe('0.333333');
  });
});

describe('formatTime', () => {
  it('shows local date and time to the second', () => {
    const date = new Date(2026, 0, 2, 3, 4, 5);
    expect(formatTime(date.getTime() / 1000)).toBe('2026-01-02 03:04:05');
    expect(formatTime(null)).toBe('–');
  });
});
