/** A canvas chart of downsampled series; plain DOM and uPlot, no JupyterLab. */
export { SeriesChart } from './chart';
export type { IChartOptions } from './chart';
export type { IChartSettings } from './controls';
export * from './types';
export { formatNumber, formatStep, formatTime } from './format';
export { MAX_POINTS_PER_SERIES } from './range';
