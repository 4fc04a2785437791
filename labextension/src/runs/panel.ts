import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { runsIcon } from '../icons';
import { RunsModel } from './model';
import { renderHead, renderRow, updateRowSelection } from './table';

/** What the panel's buttons do; the plugin wires them to commands. */
export interface IRunsPanelActions {
  open(runId: string): void;
  compare(runIds: string[]): void;
  /** Open the runs table as a main-area tab (the sidebar panel offers it when given). */
  openTable?(): void;
}

/** The id of the runs table as a main-area tab. */
export const RUNS_TABLE_ID = 'nepnb-runs-table';

/**
 * The runs of the project as a table: filter, sort by any column, add field
 * columns, select runs to open or compare. It asks for the runs again every
 * few seconds while it is visible. In the left sidebar it is compact; `main`
 * makes it a full-width main-area tab (the sidebar's "Open as tab" button).
 */
export class RunsPanel extends Widget {
  constructor(
    readonly model: RunsModel,
    private readonly _actions: IRunsPanelActions,
    options: { main?: boolean } = {}
  ) {
    super();
    this.id = options.main ? RUNS_TABLE_ID : 'nepnb-runs-panel';
    this.addClass('nepnb-RunsPanel');
    this.title.icon = runsIcon;
    this.title.caption = 'nepnb runs';
    if (options.main) {
      this.addClass('nepnb-mod-main');
      this.title.label = 'nepnb runs';
      this.title.closable = true;
    }
    this.node.innerHTML = `
      <header class="nepnb-Panel-header">
        <div class="nepnb-RunsPanel-titleRow">
          <h2>Runs</h2>
          <div class="nepnb-RunsPanel-titleButtons">
            <button class="jp-mod-styled nepnb-openTable" title="Open the runs table as a full-width tab in the main area" hidden>Open as tab</button>
            <button class="jp-mod-styled nepnb-refresh" title="Load the runs again">Refresh</button>
          </div>
        </div>
        <div class="nepnb-Panel-subtitle"></div>
        <div class="nepnb-RunsPanel-source" hidden></div>
        <div class="nepnb-Panel-buttons">
          <button class="jp-mod-styled jp-mod-accept nepnb-open" disabled title="Open the selected run (or double click it)">Open</button>
          <button class="jp-mod-styled nepnb-compare" disabled title="Chart the selected runs together (select with the boxes or Ctrl+click)">Compare</button>
          <select class="jp-mod-styled nepnb-RunsPanel-columnPicker" aria-label="Add a column" title="Show a field of the runs as a column"></select>
        </div>
      </header>
      <div class="nepnb-Panel-toolbar nepnb-RunsPanel-filters">
        <input type="search" class="jp-mod-styled nepnb-RunsPanel-filter" placeholder="Filter by id, name or tag" aria-label="Filter runs">
      </div>
      <div class="nepnb-RunsPanel-tagFilters"></div>
      <div class="nepnb-Panel-hint"></div>
      <div class="nepnb-RunsPanel-tableWrap">
        <table class="nepnb-RunsTable"><thead></thead><tbody></tbody></table>
      </div>`;
    const find = <T extends Element>(selector: string) => this.node.querySelector<T>(selector)!;
    this._subtitle = find('.nepnb-Panel-subtitle');
    this._source = find('.nepnb-RunsPanel-source');
    this._hint = find('.nepnb-Panel-hint');
    this._open = find('.nepnb-open');
    this._compare = find('.nepnb-compare');
    this._filter = find('.nepnb-RunsPanel-filter');
    this._columnPicker = find('.nepnb-RunsPanel-columnPicker');
    this._tagFilters = find('.nepnb-RunsPanel-tagFilters');
    this._head = find('thead');
    this._body = find('tbody');

    find('.nepnb-refresh').addEventListener('click', () => void model.refresh());
    const openTable = find<HTMLButtonElement>('.nepnb-openTable');
    if (_actions.openTable && !options.main) {
      openTable.hidden = false;
      openTable.addEventListener('click', () => _actions.openTable?.());
    }
    this._open.addEventListener('click', () => {
      const [first] = model.selection;
      if (first) {
        this._actions.open(first);
      }
    });
    this._compare.addEventListener('click', () => this._actions.compare(model.selection));
    this._filter.addEventListener('input', () => model.setFilterText(this._filter.value));
    this._columnPicker.addEventListener('change', () => {
      const path = this._columnPicker.value;
      if (path) {
        void model.addColumn(path);
      }
    });
    this._tagFilters.addEventListener('click', event => {
      const tag = (event.target as HTMLElement).closest<HTMLElement>('[data-tag]')?.dataset.tag;
      if (tag !== undefined) {
        model.removeTagFilter(tag);
      }
    });
    this._head.addEventListener('click', event => this._onHeadClick(event));
    this._body.addEventListener('click', event => this._onBodyClick(event));
    this._body.addEventListener('dblclick', event => {
      const id = this._rowId(event);
      if (id) {
        this._actions.open(id);
      }
    });
    model.changed.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    this.model.changed.disconnect(this._render, this);
    this.model.stopPolling();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.startPolling();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.stopPolling();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this.model.startPolling();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.stopPolling();
    super.onBeforeDetach(msg);
  }

  private _rowId(event: Event): string | undefined {
    return (event.target as HTMLElement).closest<HTMLElement>('[data-run-id]')?.dataset.runId;
  }

  private _onHeadClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const removed = target.closest<HTMLElement>('[data-remove-column]')?.dataset.removeColumn;
    if (removed) {
      this.model.removeColumn(removed);
      return;
    }
    const column = target.closest<HTMLElement>('th[data-column]')?.dataset.column;
    if (column) {
      this.model.sortBy(column);
    }
  }

  /** A tag filters by it; the checkbox or Ctrl/Cmd adds to the selection; a plain click selects one run. */
  private _onBodyClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const tag = target.closest<HTMLElement>('[data-tag]')?.dataset.tag;
    if (tag !== undefined) {
      this.model.addTagFilter(tag);
      return;
    }
    const id = this._rowId(event);
    if (!id) {
      return;
    }
    const onCheckbox = target instanceof HTMLInputElement && target.type === 'checkbox';
    if (onCheckbox || event.ctrlKey || event.metaKey) {
      this.model.toggleSelected(id);
    } else {
      this.model.select([id]);
    }
  }

  private _render(): void {
    const model = this.model;
    const runs = model.runs;
    const total = model.allRuns.length;
    const noun = total === 1 ? 'run' : 'runs';
    const counted =
      runs.length === total ? `${total} ${noun}` : `${runs.length} of ${total} ${noun}`;
    this._subtitle.textContent = `${model.resolvedProject || 'default project'} · ${counted}`;
    this._subtitle.title = model.source
      ? `${model.resolvedProject} in ${model.source}`
      : model.resolvedProject;
    // On a line of its own: the narrow sidebar would cut the count off otherwise.
    const host = model.serverHost;
    this._source.textContent = host ? `server ${host}` : '';
    this._source.title = model.source;
    this._source.hidden = !host;
    this.node.dataset.state = model.error ? 'error' : model.loading ? 'loading' : 'ready';
    this._hint.textContent = this._hintText(runs.length);

    const selected = model.selection.length;
    this._open.disabled = selected !== 1;
    this._compare.disabled = selected < 1;
    this._compare.textContent = selected > 1 ? `Compare ${selected}` : 'Compare';

    if (document.activeElement !== this._filter && this._filter.value !== model.filter.text) {
      this._filter.value = model.filter.text;
    }
    this._renderColumnPicker();
    this._tagFilters.replaceChildren(
      ...model.filter.tags.map(tag => {
        const chip = document.createElement('button');
        chip.className = 'nepnb-TagChip nepnb-mod-filter';
        chip.dataset.tag = tag;
        chip.textContent = `${tag} ×`;
        chip.title = `Stop filtering by the tag "${tag}"`;
        return chip;
      })
    );

    const view = {
      runs,
      columns: model.columns,
      sort: model.sort,
      isSelected: (id: string) => model.isSelected(id)
    };
    // Rows are made again only when what they show changed: a selection
    // change must not replace the row under a double click.
    const rowsKey = JSON.stringify([runs, view.columns, view.sort]);
    if (rowsKey !== this._rowsKey) {
      this._rowsKey = rowsKey;
      this._head.replaceChildren(renderHead(view));
      this._body.replaceChildren(...runs.map(run => renderRow(run, view)));
    } else {
      this._body.querySelectorAll<HTMLElement>('[data-run-id]').forEach(row => {
        updateRowSelection(row, model.isSelected(row.dataset.runId!));
      });
    }
  }

  private _renderColumnPicker(): void {
    const shown = new Set(this.model.columns);
    const options = [new Option('Add column…', '')];
    for (const { path, type } of this.model.paths) {
      if (!shown.has(path)) {
        const option = new Option(path, path);
        option.title = type;
        options.push(option);
      }
    }
    this._columnPicker.replaceChildren(...options);
    this._columnPicker.value = '';
    this._columnPicker.disabled = options.length === 1;
  }

  private _hintText(shown: number): string {
    const model = this.model;
    if (model.error) {
      return `Could not load the runs: ${model.error}`;
    }
    if (model.allRuns.length === 0) {
      return model.loading ? 'Loading…' : 'No runs in this project yet.';
    }
    if (shown === 0) {
      return 'No run matches the filter.';
    }
    return model.truncated ? 'Only the newest runs are listed.' : '';
  }

  private _rowsKey = '';
  private readonly _subtitle: HTMLElement;
  private readonly _source: HTMLElement;
  private readonly _hint: HTMLElement;
  private readonly _open: HTMLButtonElement;
  private readonly _compare: HTMLButtonElement;
  private readonly _filter: HTMLInputElement;
  private readonly _columnPicker: HTMLSelectElement;
  private readonly _tagFilters: HTMLElement;
  private readonly _head: HTMLTableSectionElement;
  private readonly _body: HTMLTableSectionElement;
}
