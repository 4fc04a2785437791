import type { IRunRow } from '../api';
import { columnTitle, formatCell } from './cells';
import { cellValue, IRunsSort, tableColumns } from './filter';
import { runStatus, STATUS_TITLES } from './status';

/** What the table shows. */
export interface IRunsTableView {
  runs: readonly IRunRow[];
  /** Picked field paths, after the built-in columns. */
  columns: readonly string[];
  sort: IRunsSort;
  isSelected(id: string): boolean;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  node.textContent = text;
  return node;
}

/** The header row: a select-all box, then a sortable cell per column (picked ones removable). */
export function renderHead(view: IRunsTableView): HTMLTableRowElement {
  const row = element('tr');
  row.append(element('th', 'nepnb-RunsTable-select'));
  for (const column of tableColumns(view.columns)) {
    const cell = element('th');
    cell.dataset.column = column;
    cell.title = `Sort by ${columnTitle(column)}`;
    const label = element('span', 'nepnb-RunsTable-sortLabel', columnTitle(column));
    cell.append(label);
    if (view.sort.column === column) {
      cell.classList.add('nepnb-mod-sorted');
      cell.setAttribute('aria-sort', view.sort.descending ? 'descending' : 'ascending');
      label.append(element('span', 'nepnb-RunsTable-arrow', view.sort.descending ? ' ▼' : ' ▲'));
    }
    if (view.columns.includes(column)) {
      const remove = element('button', 'nepnb-RunsTable-removeColumn', '×');
      remove.title = `Remove the column ${column}`;
      remove.dataset.removeColumn = column;
      cell.append(remove);
    }
    row.append(cell);
  }
  return row;
}

/** One run's row; `data-run-id` and `data-status` name it for handlers, styles and tests. */
export function renderRow(run: IRunRow, view: IRunsTableView): HTMLTableRowElement {
  const row = element('tr', 'nepnb-RunsTable-row');
  const status = runStatus(run);
  row.dataset.runId = run.id;
  row.dataset.status = status;
  const selectCell = element('td', 'nepnb-RunsTable-select');
  const checkbox = element('input');
  checkbox.type = 'checkbox';
  checkbox.title = 'Select (for Compare)';
  selectCell.append(checkbox);
  row.append(selectCell);
  updateRowSelection(row, view.isSelected(run.id));

  for (const column of tableColumns(view.columns)) {
    const cell = element('td');
    cell.dataset.column = column;
    if (column === 'state') {
      const badge = element('span', `nepnb-RunState nepnb-RunState-${status}`, status);
      badge.title = STATUS_TITLES[status];
      cell.append(badge);
    } else if (column === 'tags') {
      for (const tag of run.tags) {
        const chip = element('button', 'nepnb-TagChip', tag);
        chip.dataset.tag = tag;
        chip.title = `Show only runs tagged "${tag}"`;
        cell.append(chip);
      }
    } else {
      const value = cellValue(run, column);
      cell.textContent = formatCell(value);
      cell.title = cell.textContent;
      if (typeof value === 'number') {
        cell.classList.add('nepnb-mod-number');
      }
    }
    row.append(cell);
  }
  return row;
}

/** Mark a row selected or not (its class, aria state and checkbox). */
export function updateRowSelection(row: HTMLElement, selected: boolean): void {
  row.classList.toggle('nepnb-mod-selected', selected);
  row.setAttribute('aria-selected', String(selected));
  const checkbox = row.querySelector<HTMLInputElement>('input[type="checkbox"]');
  if (checkbox) {
    checkbox.checked = selected;
  }
}
