import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { SeriesChart } from '../chart';
import { runsIcon } from '../icons';
import type { IRunDetail } from '../api';
import { openNamespaces, renderFieldTree } from './fieldtree';
import { POLL_INTERVAL_MS, RunsModel } from './model';
import { runsSeriesSource, seriesKey } from './series';
import { RunStatus, runStatus, runStatusOf, STATUS_TITLES } from './status';
import { floatSeriesFields } from './tree';

/** The widget id of a run's detail view. */
export function runDetailId(project: string, runId: string): string {
  return `nepnb-run-${project}-${runId}`.replace(/[^\w-]/g, '_');
}

/**
 * One run: its float series charted, one chart each, and all its fields
 * as a tree by namespace.
 *
 * Its state follows the runs table: when the table's list says another state than the one
 * shown (a run stopped, failed or found crashed), the badge changes with the table and the
 * run is loaded again, shown or not. A running run is also loaded again now and then while
 * it is in view, and when its tab comes back into view.
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
    _model.changed.connect(this._followTable, this);
    this._followTable(); // the state the table lists now
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
    this._model.changed.disconnect(this._followTable, this);
    window.clearInterval(this._poll);
    this._disposeCharts();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._detail?.state === 'running') {
      void this.load();
    }
  }

  /**
   * The table's list changed this run's state: show the new state at once and load the run
   * again. (Only a change in the table counts: a list older than the run shown says nothing new.)
   */
  private _followTable(): void {
    if (this.project && this._model.resolvedProject !== this.project) {
      return;
    }
    const row = this._model.allRuns.find(run => run.id === this.runId);
    if (!row) {
      return;
    }
    const status = runStatus(row);
    const before = this._tableStatus;
    this._tableStatus = status;
    if (before !== null && status !== before && status !== this._shownStatus) {
      this._showStatus(status);
      void this.load();
    }
  }

  private _showStatus(status: RunStatus): void {
    this._shownStatus = status;
    const badge = this.node.querySelector<HTMLElement>('.nepnb-RunState')!;
    badge.className = `nepnb-RunState nepnb-RunState-${status}`;
    badge.textContent = status;
    badge.title = STATUS_TITLES[status];
    this.node.dataset.status = status;
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
    this._showStatus(runStatusOf(detail));
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
        series: [{ key: seriesKey({ run: detail.id, path }), label: detail.id, path }],
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
  private _shownStatus: RunStatus | null = null;
  /** This run's state in the table's last list. */
  private _tableStatus: RunStatus | null = null;
  private readonly _poll: number;
  private readonly _charts = new Map<string, SeriesChart>();
}
