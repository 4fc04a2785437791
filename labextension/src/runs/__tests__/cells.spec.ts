import { cellTooltip, columnTitle, formatCell, formatDateTime, looksLikeDateTime } from '../cells';

describe('formatCell', () => {
  it('shows each kind of value readably', () => {
    expect(formatCell(null)).toBe('');
    expect(formatCell(0.912345)).toBe('0.9123');
    expect(formatCell(true)).toBe('true');
    expect(formatCell(['a', 'b'])).toBe('a, b');
    expect(formatCell('plain text')).toBe('plain text');
  });

  it('shows ISO date-times in local time to the minute', () => {
    const iso = new Date(2026, 4, 6, 7, 8, 9).toISOString();
    expect(looksLikeDateTime(iso)).toBe(true);
    expect(formatCell(iso)).toBe('2026-05-06 07:08');
    expect(formatDateTime('not a date')).toBe('not a date');
  });
});

describe('cellTooltip', () => {
  it('gives the whole value, or says there is none', () => {
    expect(cellTooltip(0.912345678901)).toBe('0.912345678901');
    expect(cellTooltip(null)).toBe('No value');
    expect(cellTooltip('')).toBe('No value');
    expect(cellTooltip([])).toBe('No value');
    expect(cellTooltip(['a', 'b'])).toBe('a, b');
    const iso = new Date(2026, 4, 6, 7, 8, 9).toISOString();
    expect(cellTooltip(iso)).toBe(`2026-05-06 07:08 (${iso})`);
  });
});

describe('columnTitle', () => {
  it('names built-in columns and keeps paths', () => {
    expect(columnTitle('creation_time')).toBe('Created');
    expect(columnTitle('metrics/acc')).toBe('metrics/acc');
  });
});
