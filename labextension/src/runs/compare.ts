import { Widget } from '@lumino/widgets';

import { SeriesChart } from '../chart';
import { runsIcon } from '../icons';
import type { IRunDetail } from '../api';
import {
  comparablePaths,
  comparisonSeries,
  defaultComparePaths,
  runColors,
  runLabel
} from './comparison';
import { RunsModel } from './model';
import { runsSeriesSource } from './series';

/** The widget id of a comparison of these runs. */
export function compareRunsId(project: string, runIds: readonly string[]): string {
  return `nepnb-compare-runs-${project}-${runIds.join('-')}`.replace(/[^\w-]/g, '_');
}

/**
 * Several runs side by side: one chart per metric, each run in one colour on every chart
 * (the key above the charts names them). It starts with the user's own metrics; the
 * picker adds or removes any float series, the system ones (sys/, monitoring/,
 * source_code/, notebook/) listed after the user's.
 */
export class CompareRuns extends Widget {
  constructor(
    private readonly _model: RunsModel,
    readonly runIds: readonly string[],
    readonly project = _model.project
  ) {
    super();
    this.id = compareRunsId(project, runIds);
    this.addClass('nepnb-CompareRuns');
    this.title.label = `Compare ${runIds.length} runs`;
    this.title.caption = `nepnb: ${runIds.join(', ')}`;
    this.title.icon = runsIcon;
    this.title.closable = true;
    this.node.innerHTML = `
      <header class="nepnb-RunDetail-header">
        <h2 class="nepnb-RunDetail-title"></h2>
      </header>
      <div class="nepnb-CompareRuns-key" aria-label="Runs"></div>
      <div class="nepnb-Panel-hint">Loading…</div>
      <div class="nepnb-CompareRuns-body">
        <fieldset class="nepnb-CompareRuns-paths"><legend>Metrics</legend></fieldset>
        <div class="nepnb-CompareRuns-charts nepnb-RunDetail-chartGrid"></div>
      </div>`;
    this.node.querySelector('.nepnb-RunDetail-title')!.textContent = `Compare ${runIds.join(', ')}`;
    this._grid = this.node.querySelector('.nepnb-CompareRuns-charts')!;
    this._pathsBox = this.node.querySelector('.nepnb-CompareRuns-paths')!;
    this._pathsBox.addEventListener('change', () => this._showChecked());
    void this._load();
  }

  /** The charts shown, by metric path, in the order shown. */
  get charts(): ReadonlyMap<string, SeriesChart> {
    return this._charts;
  }

  dispose(): void {
    this._charts.forEach(chart => chart.dispose());
    this._charts.clear();
    super.dispose();
  }

  private async _load(): Promise<void> {
    const hint = this.node.querySelector('.nepnb-Panel-hint')!;
    let details: IRunDetail[];
    try {
      details = await Promise.all(this.runIds.map(id => this._model.fetchRun(id, this.project)));
    } catch (reason) {
      if (this.isDisposed) {
        return;
      }
      hint.textContent = `Could not load the runs: ${(reason as Error).message}`;
      return;
    }
    if (this.isDisposed) {
      return;
    }
    this._details = details;
    this.node.querySelector('.nepnb-RunDetail-title')!.textContent =
      `Compare ${details.map(runLabel).join(', ')}`;
    this._renderKey(details);
    const paths = comparablePaths(details);
    const shown = new Set(defaultComparePaths(paths));
    hint.textContent = paths.length ? '' : 'These runs have no float series.';
    this._pathsBox.append(
      ...paths.map(path => {
        const label = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.value = path;
        box.checked = shown.has(path);
        const present = details.filter(d => d.fields.some(f => f.path === path)).length;
        label.title = `${present} of ${details.length} runs have it`;
        label.append(box, document.createTextNode(` ${path}`));
        return label;
      })
    );
    this._showChecked();
  }

  /** The runs with their colour, once above all the charts. */
  private _renderKey(details: readonly IRunDetail[]): void {
    const colors = runColors(details);
    this.node.querySelector('.nepnb-CompareRuns-key')!.replaceChildren(
      ...details.map(detail => {
        const entry = document.createElement('span');
        entry.className = 'nepnb-CompareRuns-keyEntry';
        entry.dataset.runId = detail.id;
        const swatch = document.createElement('span');
        swatch.className = 'nepnb-Swatch';
        swatch.style.background = colors.get(detail.id) ?? '';
        entry.append(swatch, document.createTextNode(runLabel(detail)));
        return entry;
      })
    );
  }

  /** One chart per checked path; charts already shown are kept. */
  private _showChecked(): void {
    const checked = this._pathsBox.querySelectorAll<HTMLInputElement>('input:checked');
    const paths = Array.from(checked, box => box.value);
    for (const [path, chart] of [...this._charts]) {
      if (!paths.includes(path)) {
        chart.dispose();
        this._charts.delete(path);
      }
    }
    const source = runsSeriesSource(this._model, this.project);
    const cards = paths.map(path => {
      let chart = this._charts.get(path);
      if (!chart) {
        chart = new SeriesChart(source, {
          series: comparisonSeries(this._details, path),
          height: 220
        });
      }
      const card = document.createElement('figure');
      card.className = 'nepnb-RunDetail-chartCard';
      card.dataset.path = path;
      const caption = document.createElement('figcaption');
      caption.textContent = path;
      card.append(caption, chart.node);
      return [path, chart, card] as const;
    });
    this._charts = new Map(cards.map(([path, chart]) => [path, chart]));
    this._grid.replaceChildren(...cards.map(([, , card]) => card));
  }

  private _details: IRunDetail[] = [];
  private _charts = new Map<string, SeriesChart>();
  private readonly _grid: HTMLElement;
  private readonly _pathsBox: HTMLFieldSetElement;
}
