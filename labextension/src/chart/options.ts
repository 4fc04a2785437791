import type uPlot from 'uplot';

import type { IChartSettings } from './controls';
import { formatNumber, formatStep, formatTime } from './format';
import { lineOfPlotIndex, plotIndexes } from './layout';
import { seriesColor, withAlpha } from './palette';

/** Colours of the axes, resolved from the theme (a canvas cannot read CSS variables). */
export interface IPlotTheme {
  text: string;
  grid: string;
  /** The axes' font (CSS shorthand). */
  font: string;
}

/** The legend's value of a series where the cursor is, else its last value (never "–" while there is one). */
function legendValue(format: (value: number) => string) {
  return (plot: uPlot, value: number | null, seriesIndex: number, index: number | null) => {
    if (index === null) {
      const column = plot.data[seriesIndex] as (number | null | undefined)[] | undefined;
      for (let i = (column?.length ?? 0) - 1; i >= 0; i--) {
        const last = column?.[i];
        if (last !== null && last !== undefined) {
          return format(last);
        }
      }
      return '';
    }
    return value === null ? '' : format(value);
  };
}

/** What the plot tells its chart. */
export interface IPlotHandlers {
  /** A scale changed (a drag zoomed, or the chart set it). */
  onScale(plot: uPlot, key: string): void;
  /** The legend showed or hid a line. */
  onLineToggled(lineIndex: number, show: boolean): void;
  /** Double click: show everything again. */
  onDoubleClick(): void;
  /** Shift + mouse down: start panning. */
  onShiftDrag(event: MouseEvent): void;
}

/** What a plot is made from. */
export interface IPlotOptionsInput {
  width: number;
  height: number;
  settings: IChartSettings;
  /** The legend label of each line. */
  labels: readonly string[];
  /** The y axis's title (the series path, or "value"). */
  yLabel: string;
  /** The colour of each line (by default, the palette's by place). */
  colors?: readonly (string | undefined)[];
  theme: IPlotTheme;
  handlers: IPlotHandlers;
}

/** An aux part of a line: drawn, but with no legend entry or hover dot of its own (see chart.css). */
const AUX_CLASS = 'nepnb-Chart-aux';

function lineSeries(label: string, color: string): uPlot.Series[] {
  const value = legendValue(v => formatNumber(v));
  const part = (suffix: string, stroke: string, width = 1): uPlot.Series => ({
    label: `${label} ${suffix}`,
    class: AUX_CLASS,
    stroke,
    width,
    value,
    points: { show: false }
  });
  return [
    { label, stroke: color, width: 1.5, value, points: { show: false } },
    part('(raw)', withAlpha(color, 0.3)),
    part('min', 'transparent'),
    part('max', 'transparent')
  ];
}

/**
 * uPlot's options for lines laid out as in layout.ts: x by step or time,
 * y linear or log, a min/max band per line, drag to zoom, legend toggles.
 */
export function plotOptions(input: IPlotOptionsInput): uPlot.Options {
  const { settings, theme, handlers } = input;
  const colorOf = (index: number) => input.colors?.[index] ?? seriesColor(index);
  const time = settings.xAxis === 'time';
  const grid = { stroke: theme.grid, width: 1 };
  const ticks = { stroke: theme.grid, width: 1 };
  const series: uPlot.Series[] = [
    {
      label: settings.xAxis,
      value: legendValue(v => (time ? formatTime(v) : formatStep(v)))
    },
    ...input.labels.flatMap((label, i) => lineSeries(label, colorOf(i)))
  ];
  const bands: uPlot.Band[] = input.labels.map((_, i) => {
    const indexes = plotIndexes(i);
    return { series: [indexes.max, indexes.min], fill: withAlpha(colorOf(i), 0.15) };
  });
  return {
    width: input.width,
    height: input.height,
    series,
    bands,
    scales: {
      x: { time },
      y: settings.logScale ? { distr: 3, log: 10 } : {}
    },
    axes: [
      {
        values: time ? undefined : (_u: uPlot, splits: number[]) => splits.map(v => formatStep(v)),
        stroke: theme.text,
        grid,
        ticks,
        font: theme.font
      },
      {
        values: (_u: uPlot, splits: number[]) => splits.map(v => formatNumber(v, 3)),
        stroke: theme.text,
        grid,
        ticks,
        size: 60,
        label: input.yLabel,
        labelSize: 18,
        labelFont: theme.font,
        font: theme.font
      }
    ],
    legend: {
      live: true,
      // solid colour swatches, not uPlot's hollow squares
      markers: {
        width: 0,
        fill: (_plot: uPlot, seriesIndex: number) => {
          const line = lineOfPlotIndex(seriesIndex);
          return line === null ? 'transparent' : colorOf(line);
        }
      }
    },
    cursor: {
      drag: { x: true, y: false, setScale: true },
      bind: {
        dblclick: () => () => {
          handlers.onDoubleClick();
          return null;
        },
        mousedown: (_u, _target, handler) => (event: MouseEvent) => {
          if (event.shiftKey) {
            handlers.onShiftDrag(event);
            return null;
          }
          return handler(event);
        }
      }
    },
    hooks: {
      setScale: [(plot, key) => handlers.onScale(plot, key)],
      setSeries: [
        (_plot, index, options) => {
          const line = index === null ? null : lineOfPlotIndex(index);
          if (line !== null && index === plotIndexes(line).line) {
            handlers.onLineToggled(line, options.show !== false);
          }
        }
      ]
    }
  };
}
