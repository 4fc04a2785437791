/**
 * The inline chart widget (anywidget): the chart component of labextension/src/chart in a
 * notebook output, fed by its kernel (nepnb/widgets/chart.py). Bundled by esbuild into
 * nepnb/widgets/static/chart.js with uPlot and the chart's CSS; no JupyterLab imports, so
 * it runs wherever anywidget does (JupyterLab 4, Notebook 7).
 */
import uplotCss from 'uplot/dist/uPlot.min.css';

import chartCss from '../style/chart.css';
import { SeriesChart } from '../src/chart';
import type { IChartSeries, IChartSettings, ISeriesBuckets, XAxisKind } from '../src/chart';
import type { IRenderProps, IWidgetModel } from './anywidget';
import { KernelMessage, KernelSeriesSource } from './source';

const STYLE_ID = 'nepnb-chart-widget-style';

/** Add the chart's CSS to the page once (Notebook 7 and JupyterLab share the same page). */
function addStyle(): void {
  if (document.getElementById(STYLE_ID)) {
    return;
  }
  const style = document.createElement('style');
  style.id = STYLE_ID;
  style.textContent = `${uplotCss}\n${chartCss}\n${WIDGET_CSS}`;
  document.head.append(style);
}

const WIDGET_CSS = `
.nepnb-ChartWidget { padding: 4px 0; min-width: 0; }
.nepnb-ChartWidget-live { display: inline-block; margin-left: 6px; padding: 0 6px;
  border-radius: 8px; font-size: 11px; color: #fff; background: #2e7d32; }
.nepnb-ChartWidget-title { font-family: var(--jp-ui-font-family, sans-serif);
  font-size: var(--jp-ui-font-size1, 13px); color: var(--jp-ui-font-color1, #333);
  margin-bottom: 2px; }
`;

function settingsOf(model: IWidgetModel): IChartSettings {
  return {
    xAxis: (model.get('x_axis') as XAxisKind | undefined) ?? 'step',
    logScale: Boolean(model.get('log_scale')),
    smoothing: Number(model.get('smoothing') ?? 0)
  };
}

/** Draw the chart into `el`; returns the clean-up anywidget calls when the view goes. */
function render({ model, el }: IRenderProps): () => void {
  addStyle();
  el.classList.add('nepnb-ChartWidget');
  const title = document.createElement('div');
  title.className = 'nepnb-ChartWidget-title';
  const badge = document.createElement('span');
  badge.className = 'nepnb-ChartWidget-live';
  badge.textContent = 'live';
  const titleText = document.createTextNode(String(model.get('title') ?? ''));
  title.append(titleText, badge);

  const source = new KernelSeriesSource(model);
  const chart = new SeriesChart(source, {
    ...settingsOf(model),
    series: (model.get('series') as IChartSeries[] | undefined) ?? [],
    height: Number(model.get('height') ?? 260),
    onSettingsChanged: settings => {
      // The kernel pushes live data along the x axis the chart shows.
      model.set('x_axis', settings.xAxis);
      model.set('log_scale', settings.logScale);
      model.set('smoothing', settings.smoothing);
      model.save_changes();
    }
  });
  el.append(title, chart.node);
  // What the kernel read when it made the widget: drawn at once, refined by the fetches.
  const initial = (model.get('initial') as Record<string, ISeriesBuckets> | undefined) ?? {};
  for (const [key, data] of Object.entries(initial)) {
    if (data.x_axis === chart.currentSettings.xAxis) {
      chart.update(key, data);
    }
  }

  const showLive = () => {
    const live = Boolean(model.get('live'));
    badge.style.display = live ? '' : 'none';
    chart.node.dataset.live = String(live);
  };
  showLive();

  const onMessage = (message: KernelMessage) => {
    if (source.handle(message) || message.type !== 'series') {
      return;
    }
    if (message.x_axis === chart.currentSettings.xAxis) {
      chart.update(message.key, message.data);
    }
  };
  const onSeries = () => chart.setSeries((model.get('series') as IChartSeries[]) ?? []);
  const onTitle = () => (titleText.textContent = String(model.get('title') ?? ''));
  model.on('msg:custom', onMessage);
  model.on('change:live', showLive);
  model.on('change:series', onSeries);
  model.on('change:title', onTitle);
  if (typeof ResizeObserver === 'undefined') {
    requestAnimationFrame(() => chart.resize());
  }
  return () => {
    model.off('msg:custom', onMessage);
    model.off('change:live', showLive);
    model.off('change:series', onSeries);
    model.off('change:title', onTitle);
    source.dispose();
    chart.dispose();
  };
}

export default { render };
