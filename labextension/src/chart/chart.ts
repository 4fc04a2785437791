import uPlot from 'uplot';

import { alignSeries, countDrawn } from './align';
import { ChartControls, IChartSettings } from './controls';
import { plotColumns, plotIndexes } from './layout';
import { IPlotTheme, plotOptions } from './options';
import {
  appendBuckets,
  bucketsForWidth,
  isZoomedIn,
  MAX_POINTS_PER_SERIES,
  panRange,
  sameRange,
  unionExtent
} from './range';
import type {
  IBucketColumns,
  IChartDataSource,
  IChartSeries,
  ISeriesBuckets,
  ISeriesRequest,
  IXRange
} from './types';

/** How a chart starts. */
export interface IChartOptions extends Partial<IChartSettings> {
  series?: IChartSeries[];
  /** Height of the plotting area and axes, in CSS pixels (the legend comes below). */
  height?: number;
  /** Show the toolbar (x axis, log y, smoothing, reset); default true. */
  controls?: boolean;
  /** The y axis's title; by default the series' path when they share one, else "value". */
  yLabel?: string;
  /** Called after the user changed a setting in the toolbar. */
  onSettingsChanged?: (settings: IChartSettings) => void;
}

/** Live data is drawn at most this often. */
const LIVE_REDRAW_MS = 250;
/** Zooming waits this long for the user to stop before asking for finer data. */
const REFINE_DELAY_MS = 150;

/** What the chart holds for one series. */
interface IHeldSeries {
  columns: IBucketColumns;
  extent: [number, number] | null;
  inRange: number;
  exact: boolean;
}

function emptyColumns(): IBucketColumns {
  return { x: [], min: [], max: [], last: [], count: [] };
}

/**
 * A canvas chart of several series on one x axis (uPlot).
 *
 * It asks its data source for each series downsampled to about one bucket
 * per pixel; when the user zooms (drag) or pans (shift + drag) it asks again
 * for the visible range; a double click shows the whole series again.
 * `append` and `update` take live data and redraw a few times per second.
 *
 * The element carries `data-points` (points drawn, all visible series) and
 * `data-series` (series shown) for tests and curious users.
 */
export class SeriesChart {
  /** The chart's element: add it to the page (where there is no ResizeObserver, call `resize()` then). */
  readonly node: HTMLDivElement;

  constructor(
    private readonly source: IChartDataSource,
    options: IChartOptions = {}
  ) {
    this.settings = {
      xAxis: options.xAxis ?? 'step',
      logScale: options.logScale ?? false,
      smoothing: options.smoothing ?? 0
    };
    this.height = options.height ?? 260;
    this.yLabel = options.yLabel;
    this.onSettingsChanged = options.onSettingsChanged;
    this.node = document.createElement('div');
    this.node.className = 'nepnb-Chart';
    this.node.dataset.points = '0';
    this.node.dataset.series = '0';
    this.controls = new ChartControls(this.settings, {
      onChange: settings => this.applySettings(settings),
      onResetZoom: () => this.resetZoom()
    });
    if (options.controls !== false) {
      this.node.append(this.controls.node);
    }
    this.plotHost = document.createElement('div');
    this.plotHost.className = 'nepnb-Chart-plot';
    this.node.append(this.plotHost);
    this.series = options.series ?? [];
    // The plot and the first fetch wait for a width (one bucket per pixel).
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => this.resize());
      this.resizeObserver.observe(this.plotHost);
    }
    // JupyterLab marks the theme on <body>: the canvas's colours follow it.
    if (typeof MutationObserver !== 'undefined') {
      this.themeObserver = new MutationObserver(() => this.onThemeChanged());
      this.themeObserver.observe(document.body, {
        attributes: true,
        attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
      });
    }
  }

  /** The series drawn, in legend order. */
  get seriesList(): readonly IChartSeries[] {
    return this.series;
  }

  /** The current toolbar settings. */
  get currentSettings(): IChartSettings {
    return { ...this.settings };
  }

  /** Draw these series instead (fetches them; keeps the x axis and settings). */
  setSeries(series: IChartSeries[]): void {
    this.series = series.slice();
    this.held = new Map([...this.held].filter(([key]) => series.some(s => s.key === key)));
    this.hidden = new Set([...this.hidden].filter(key => series.some(s => s.key === key)));
    this.rebuildPlot();
    void this.load();
  }

  /** Fetch every series again for the visible range. */
  refresh(): Promise<void> {
    return this.load();
  }

  /** Show the whole x range again. */
  resetZoom(): void {
    this.view = null;
    this.controls.setZoomed(false);
    void this.load();
  }

  /** Replace what the chart holds for a series (live data) and redraw soon. */
  update(seriesKey: string, buckets: ISeriesBuckets): void {
    this.held.set(seriesKey, this.heldFromReply(buckets));
    this.scheduleLiveDraw();
  }

  /** Add newer buckets at the end of a series (live data) and redraw soon. */
  append(seriesKey: string, buckets: IBucketColumns): void {
    const held = this.held.get(seriesKey) ?? {
      columns: emptyColumns(),
      extent: null,
      inRange: 0,
      exact: true
    };
    const columns = appendBuckets(held.columns, buckets, MAX_POINTS_PER_SERIES);
    const added = buckets.count.reduce((sum, count) => sum + count, 0);
    const lastX = buckets.x[buckets.x.length - 1];
    const extent: [number, number] | null =
      lastX === undefined
        ? held.extent
        : [held.extent ? held.extent[0] : buckets.x[0], lastX];
    this.held.set(seriesKey, {
      columns,
      extent,
      inRange: held.inRange + added,
      // every point as is while no bucket holds more than one
      exact: columns.count.every(count => count <= 1)
    });
    this.scheduleLiveDraw();
  }

  /** Fit the plot to its element's width (called by the ResizeObserver). */
  resize(): void {
    const width = this.plotHost.clientWidth;
    if (width <= 0) {
      return;
    }
    if (!this.plot) {
      this.rebuildPlot();
      void this.load();
      return;
    }
    if (Math.abs(this.plot.width - width) >= 1) {
      this.plot.setSize({ width, height: this.height });
      this.scheduleRefine();
    }
  }

  /** Stop timers and observers and free the canvas. */
  dispose(): void {
    this.disposed = true;
    this.resizeObserver?.disconnect();
    this.themeObserver?.disconnect();
    window.clearTimeout(this.themeTimer);
    window.clearTimeout(this.refineTimer);
    window.clearTimeout(this.liveTimer);
    this.plot?.destroy();
    this.plot = null;
    this.node.remove();
  }

  private applySettings(settings: IChartSettings): void {
    const previous = this.settings;
    this.settings = settings;
    this.onSettingsChanged?.({ ...settings });
    if (previous.xAxis !== settings.xAxis) {
      this.view = null;
      this.full = null;
      this.controls.setZoomed(false);
      this.held.clear();
      this.rebuildPlot();
      void this.load();
    } else if (previous.logScale !== settings.logScale) {
      this.rebuildPlot();
    } else {
      this.draw();
    }
  }

  /** Ask the data source for every series at the visible range and draw the answers. */
  private async load(): Promise<void> {
    if (!this.plot) {
      return; // no width yet: the first resize() loads
    }
    if (this.series.length === 0) {
      this.draw();
      return;
    }
    const generation = ++this.generation;
    const request: ISeriesRequest = {
      xAxis: this.settings.xAxis,
      buckets: bucketsForWidth(SeriesChart.plotWidth(this.plot))
    };
    const view = this.view;
    if (view) {
      request.start = view.min;
      request.end = view.max;
    }
    this.controls.setStatus('loading…');
    try {
      const replies = await Promise.all(
        this.series.map(series => this.source.fetch(series.key, request))
      );
      if (generation !== this.generation || this.disposed) {
        return; // a newer request was made meanwhile
      }
      this.series.forEach((series, i) => this.held.set(series.key, this.heldFromReply(replies[i])));
      if (!view) {
        this.full = unionExtent(replies.map(reply => reply.extent));
      }
      this.draw();
    } catch (reason) {
      if (generation === this.generation && !this.disposed) {
        this.controls.setStatus(`could not load: ${(reason as Error).message ?? reason}`, true);
      }
    }
  }

  /** The width of a plot's plotting area in CSS pixels. */
  private static plotWidth(plot: uPlot): number {
    return plot.bbox.width / uPlot.pxRatio;
  }

  private heldFromReply(reply: ISeriesBuckets): IHeldSeries {
    return {
      columns: { x: reply.x, min: reply.min, max: reply.max, last: reply.last, count: reply.count },
      extent: reply.extent,
      inRange: reply.in_range,
      exact: reply.exact
    };
  }

  /** The x range to show: the zoom, else everything held. */
  private targetRange(): IXRange | null {
    if (this.view) {
      return this.view;
    }
    const extents = this.series.map(s => this.held.get(s.key)?.extent ?? null);
    return unionExtent(extents) ?? this.full;
  }

  /** Put what is held on the canvas. */
  private draw(): void {
    if (!this.plot) {
      return;
    }
    const columns = this.series.map(s => this.held.get(s.key)?.columns ?? emptyColumns());
    const aligned = alignSeries(columns);
    const data = plotColumns(aligned, this.settings.smoothing) as uPlot.AlignedData;
    const target = this.targetRange();
    const plot = this.plot;
    this.drawing = true;
    try {
      plot.batch(() => {
        this.series.forEach((_, i) => this.showLine(i, !this.hidden.has(this.series[i].key)));
        plot.setData(data, true);
        if (target && target.max > target.min) {
          plot.setScale('x', target);
        }
      });
    } finally {
      this.drawing = false;
    }
    let points = 0;
    let shown = 0;
    aligned.series.forEach((series, i) => {
      if (!this.hidden.has(this.series[i].key)) {
        points += countDrawn(series.last);
        shown++;
      }
    });
    this.node.dataset.points = String(points);
    this.node.dataset.series = String(shown);
    this.controls.setStatus(this.describe(points));
  }

  private describe(points: number): string {
    if (this.series.length === 0) {
      return 'no series';
    }
    const total = this.series.reduce((sum, s) => sum + (this.held.get(s.key)?.inRange ?? 0), 0);
    if (total === 0) {
      return 'no points';
    }
    const exact = this.series.every(s => this.held.get(s.key)?.exact ?? true);
    return exact
      ? `${points} points`
      : `${points} of ${total} points (min/max bands)`;
  }

  /** Show or hide a line with its raw line and band. */
  private showLine(lineIndex: number, show: boolean): void {
    if (!this.plot) {
      return;
    }
    const indexes = plotIndexes(lineIndex);
    const set = (index: number, visible: boolean) => {
      if (this.plot && this.plot.series[index].show !== visible) {
        this.plot.setSeries(index, { show: visible }, false);
      }
    };
    set(indexes.line, show);
    set(indexes.raw, show && this.settings.smoothing > 0);
    set(indexes.min, show);
    set(indexes.max, show);
  }

  private scheduleLiveDraw(): void {
    if (this.liveTimer !== undefined) {
      return;
    }
    this.liveTimer = window.setTimeout(() => {
      this.liveTimer = undefined;
      if (!this.disposed) {
        this.draw();
      }
    }, LIVE_REDRAW_MS);
  }

  private scheduleRefine(): void {
    window.clearTimeout(this.refineTimer);
    this.refineTimer = window.setTimeout(() => void this.load(), REFINE_DELAY_MS);
  }

  /** The user zoomed (drag) or the chart was resized: ask for the visible range. */
  private onScaleSet(plot: uPlot, key: string): void {
    if (this.drawing || key !== 'x') {
      return;
    }
    const { min, max } = plot.scales.x;
    if (min === undefined || max === undefined) {
      return;
    }
    const visible = { min, max };
    const full = this.full;
    const zoomed = full ? isZoomedIn(visible, full) : true;
    if (this.view && sameRange(this.view, visible)) {
      return;
    }
    this.view = zoomed ? visible : null;
    this.controls.setZoomed(zoomed);
    this.scheduleRefine();
  }

  /** Shift + drag moves the visible range sideways. */
  private startPan(event: MouseEvent): void {
    const plot = this.plot;
    const { min, max } = plot?.scales.x ?? {};
    if (!plot || min === undefined || max === undefined) {
      return;
    }
    const startX = event.clientX;
    const start = { min, max };
    const unitsPerPixel = (max - min) / Math.max(SeriesChart.plotWidth(plot), 1);
    const bounds = this.full ?? start;
    const move = (moveEvent: MouseEvent) => {
      this.view = panRange(start, (startX - moveEvent.clientX) * unitsPerPixel, bounds);
      this.drawing = true;
      try {
        plot.setScale('x', this.view);
      } finally {
        this.drawing = false;
      }
    };
    const stop = () => {
      document.removeEventListener('mousemove', move);
      document.removeEventListener('mouseup', stop);
      this.controls.setZoomed(this.view !== null);
      this.scheduleRefine();
    };
    document.addEventListener('mousemove', move);
    document.addEventListener('mouseup', stop);
  }

  /** Make the uPlot instance again (series list, log scale or x axis changed). */
  private rebuildPlot(): void {
    this.plot?.destroy();
    this.plot = null;
    const width = this.plotHost.clientWidth;
    if (width <= 0) {
      return; // not on the page yet: resize() builds it
    }
    this.plot = new uPlot(this.plotOptions(width), [[]], this.plotHost);
    this.draw();
  }

  /** A theme value (a CSS variable) resolved for the canvas, which cannot read variables. */
  private themeValue(variable: string, fallback: string): string {
    return getComputedStyle(this.node).getPropertyValue(variable).trim() || fallback;
  }

  /** The axes' colours and font in the current theme. */
  private theme(): IPlotTheme {
    const family = this.themeValue('--jp-ui-font-family', 'sans-serif');
    return {
      text: this.themeValue('--jp-ui-font-color1', '#333'),
      grid: this.themeValue('--jp-border-color2', '#e0e0e0'),
      font: `${this.smallFontPixels()}px ${family}`
    };
  }

  /** The theme's small UI font size in whole pixels (uPlot lays out axes from "<n>px" only). */
  private smallFontPixels(): number {
    const probe = document.createElement('span');
    probe.style.fontSize = 'var(--jp-ui-font-size0, 11px)';
    this.node.append(probe);
    const pixels = Math.round(parseFloat(getComputedStyle(probe).fontSize));
    probe.remove();
    return Number.isFinite(pixels) && pixels > 0 ? pixels : 11;
  }

  /**
   * The theme changed: draw the axes in its colours. Its stylesheet may land after the
   * attribute changes, so look again a little later too.
   */
  private onThemeChanged(): void {
    const redrawIfChanged = () => {
      if (this.disposed || !this.plot) {
        return;
      }
      const theme = this.theme();
      if (JSON.stringify(theme) !== this.node.dataset.theme) {
        this.rebuildPlot();
      }
    };
    redrawIfChanged();
    window.clearTimeout(this.themeTimer);
    this.themeTimer = window.setTimeout(redrawIfChanged, 300);
  }

  /** The y axis's title: as given, else the series' one path, else "value". */
  private yAxisLabel(): string {
    if (this.yLabel) {
      return this.yLabel;
    }
    const paths = new Set(this.series.map(s => s.path));
    const [path] = paths;
    return paths.size === 1 && path ? path : 'value';
  }

  private plotOptions(width: number): uPlot.Options {
    const theme = this.theme();
    const yLabel = this.yAxisLabel();
    // what the axes are drawn with, for tests and curious users
    this.node.dataset.theme = JSON.stringify(theme);
    this.node.dataset.yLabel = yLabel;
    return plotOptions({
      width,
      height: this.height,
      settings: this.settings,
      labels: this.series.map(s => s.label),
      yLabel,
      colors: this.series.map(s => s.color),
      theme,
      handlers: {
        onScale: (plot, key) => this.onScaleSet(plot, key),
        onLineToggled: (line, show) => this.onLineToggled(line, show),
        onDoubleClick: () => this.resetZoom(),
        onShiftDrag: event => this.startPan(event)
      }
    });
  }

  /** The legend hid or showed a line: its raw line and band follow. */
  private onLineToggled(lineIndex: number, show: boolean): void {
    if (this.drawing) {
      return;
    }
    const key = this.series[lineIndex].key;
    if (show) {
      this.hidden.delete(key);
    } else {
      this.hidden.add(key);
    }
    this.draw();
  }

  private settings: IChartSettings;
  private series: IChartSeries[];
  private held = new Map<string, IHeldSeries>();
  /** Keys of the series the user hid from the legend. */
  private hidden = new Set<string>();
  /** The zoomed x range, null when showing everything. */
  private view: IXRange | null = null;
  /** The x range of all the series, from the last unzoomed fetch. */
  private full: IXRange | null = null;
  private plot: uPlot | null = null;
  private generation = 0;
  private drawing = false;
  private disposed = false;
  private refineTimer: number | undefined;
  private liveTimer: number | undefined;
  private resizeObserver: ResizeObserver | null = null;
  private themeObserver: MutationObserver | null = null;
  private themeTimer: number | undefined;
  private readonly yLabel?: string;
  private readonly height: number;
  private readonly onSettingsChanged?: (settings: IChartSettings) => void;
  private readonly controls: ChartControls;
  private readonly plotHost: HTMLDivElement;
}
