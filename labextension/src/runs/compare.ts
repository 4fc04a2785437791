import { Widget } from '@lumino/widgets';

import { SeriesChart } from '../chart';
import { runsIcon } from '../icons';
import type { IRunDetail } from '../api';
import { comparablePaths, comparisonSeries, defaultComparePath, runLabel } from './comparison';
import { RunsModel } from './model';
import { runsSeriesSource } from './series';

/** The widget id of a comparison of these runs. */
export function compareRunsId(project: string, runIds: readonly string[]): string {
  return `nepnb-compare-runs-${project}-${runIds.join('-')}`.replace(/[^\w-]/g, '_');
}

/**
 * Several runs on one chart: pick the float series path(s) to compare;
 * the legend names each line by its run.
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
      <div class="nepnb-Panel-hint">Loading…</div>
      <div class="nepnb-CompareRuns-body">
        <fieldset class="nepnb-CompareRuns-paths"><legend>Series</legend></fieldset>
        <div class="nepnb-CompareRuns-chart"></div>
      </div>`;
    this.node.querySelector('.nepnb-RunDetail-title')!.textContent = `Compare ${runIds.join(', ')}`;
    this._chart = new SeriesChart(runsSeriesSource(_model, project), { height: 360 });
    this.node.querySelector('.nepnb-CompareRuns-chart')!.append(this._chart.node);
    this._pathsBox = this.node.querySelector('.nepnb-CompareRuns-paths')!;
    this._pathsBox.addEventListener('change', () => this._showChecked());
    void this._load();
  }

  /** The chart (for its series and settings). */
  get chart(): SeriesChart {
    return this._chart;
  }

  dispose(): void {
    this._chart.dispose();
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
    const paths = comparablePaths(details);
    const first = defaultComparePath(paths);
    hint.textContent = paths.length ? '' : 'These runs have no float series.';
    this._pathsBox.append(
      ...paths.map(path => {
        const label = document.createElement('label');
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.value = path;
        box.checked = path === first;
        const present = details.filter(d => d.fields.some(f => f.path === path)).length;
        label.title = `${present} of ${details.length} runs have it`;
        label.append(box, document.createTextNode(` ${path}`));
        return label;
      })
    );
    this._showChecked();
  }

  private _showChecked(): void {
    const checked = this._pathsBox.querySelectorAll<HTMLInputElement>('input:checked');
    const paths = Array.from(checked, box => box.value);
    this._chart.setSeries(comparisonSeries(this._details, paths));
  }

  private _details: IRunDetail[] = [];
  private readonly _chart: SeriesChart;
  private readonly _pathsBox: HTMLFieldSetElement;
}
