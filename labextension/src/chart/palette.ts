/** Series colours: Tableau 10, distinct on light and dark themes. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac'
];

/** The colour of the `index`-th series. */
export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}

/** "#rrggbb" with an alpha in [0, 1], as rgba(). */
export function withAlpha(hex: string, alpha: number): string {
  const value = parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}
