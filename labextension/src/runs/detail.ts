import { Widget } from '@lumino/widgets';

import { SeriesChart } from '../chart';
import { runsIcon } from '../icons';
import type { IRunDetail } from '../api';
import { openNamespaces, renderFieldTree } from './fieldtree';
import { POLL_INTERVAL_MS, RunsModel } from './model';
import { runsSeriesSource, seriesKey } from './series';
import { runStatusOf } from './status';
import { floatSeriesFields } from './tree';

/** The widget id of a run's detail view. */
export function runDetailId(project: string, runId: string): string {
  return `nepnb-run-${project}-${runId}`.replace(/[^\w-]/g, '_');
}

/**
 * One run: its float series charted, one chart each, and all its fields
 * as a tree by namespace.
 */
export class RunDetail extends Widget {
  constructor(
    private readonly _model: RunsModel,
    readonly runId: string,
    readonly project = _model.project
  ) {
    super();
    this.id = runDetailId(project, runId);
    this.addClass('nepnb-RunDetail');
    this.title.label = `Run ${runId}`;
    this.title.caption = `nepnb run ${runId}${project ? ` of ${project}` : ''}`;
    this.title.icon = runsIcon;
    this.title.closable = true;
    this.node.innerHTML = `
      <header class="nepnb-RunDetail-header">
        <h2 class="nepnb-RunDetail-title"></h2>
        <span class="nepnb-RunState"></span>
        <span class="nepnb-RunDetail-subtitle"></span>
        <button class="jp-mod-styled nepnb-refresh" title="Load the run again">Refresh</button>
      </header>
      <div class="nepnb-Panel-hint"></div>
      <section class="nepnb-RunDetail-charts"><h3>Charts</h3><div class="nepnb-RunDetail-chartGrid"></div></section>
      <section class="nepnb-RunDetail-fields"><h3>Fields</h3><div class="nepnb-RunDetail-tree"></div></section>`;
    this.node.querySelector('.nepnb-refresh')!.addEventListener('click', () => void this.load());
    void this.load();
    // A running run is loaded again now and then while it is in view.
    this._poll = window.setInterval(() => {
      if (this.isVisible && this._detail?.state === 'running') {
        void this.load();
      }
    }, POLL_INTERVAL_MS);
  }

  /** The run as last loaded. */
  get detail(): IRunDetail | null {
    return this._detail;
  }

  dispose(): void {
    window.clearInterval(this._poll);
    this._disposeCharts();
    super.dispose();
  }

  /** Load the run again; its charts fetch their series again. */
  async load(): Promise<void> {
    const hint = this.node.querySelector('.nepnb-Panel-hint')!;
    hint.textContent = this._detail ? '' : 'Loading…';
    try {
      this._detail = await this._model.fetchRun(this.runId, this.project);
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      hint.textContent = `Could not load run ${this.runId}: ${(reason as Error).message}`;
      this.node.dataset.state = 'error';
      return;
    }
    if (this.isDisposed) {
      return;
    }
    hint.textContent = '';
    this.node.dataset.state = 'ready';
    this._render(this._detail);
  }

  private _render(detail: IRunDetail): void {
    this.node.querySelector('.nepnb-RunDetail-title')!.textContent = detail.name
      ? `${detail.id} · ${detail.name}`
      : detail.id;
    const status = runStatusOf(detail);
    const badge = this.node.querySelector<HTMLElement>('.nepnb-RunState')!;
    badge.className = `nepnb-RunState nepnb-RunState-${status}`;
    badge.textContent = status;
    this.node.querySelector('.nepnb-RunDetail-subtitle')!.textContent = detail.project;
    const treeHost = this.node.querySelector('.nepnb-RunDetail-tree')!;
    const shown = treeHost.querySelector('.nepnb-FieldTree');
    treeHost.replaceChildren(
      renderFieldTree(detail.fields, shown ? openNamespaces(shown) : null)
    );
    this._renderCharts(detail);
  }

  /** One chart per float series; charts already shown are kept and refreshed. */
  private _renderCharts(detail: IRunDetail): void {
    const grid = this.node.querySelector('.nepnb-RunDetail-chartGrid')!;
    const paths = floatSeriesFields(detail.fields).map(field => field.path);
    if (paths.join('\n') === [...this._charts.keys()].join('\n')) {
      this._charts.forEach(chart => void chart.refresh());
      return;
    }
    this._disposeCharts();
    const source = runsSeriesSource(this._model, this.project);
    const cards = paths.map(path => {
      const card = document.createElement('figure');
      card.className = 'nepnb-RunDetail-chartCard';
      card.dataset.path = path;
      const caption = document.createElement('figcaption');
      caption.textContent = path;
      const chart = new SeriesChart(source, {
        series: [{ key: seriesKey({ run: detail.id, path }), label: detail.id }],
        height: 200
      });
      this._charts.set(path, chart);
      card.append(caption, chart.node);
      return card;
    });
    grid.replaceChildren(...cards);
    if (cards.length === 0) {
      grid.textContent = 'This run has no float series.';
    }
  }

  private _disposeCharts(): void {
    this._charts.forEach(chart => chart.dispose());
    this._charts.clear();
  }

  private _detail: IRunDetail | null = null;
  private readonly _poll: number;
  private readonly _charts = new Map<string, SeriesChart>();
}
