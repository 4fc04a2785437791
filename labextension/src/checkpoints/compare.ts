import { Widget } from '@lumino/widgets';

import { queryString } from '../query';
import { requestAPI } from '../request';
import { checkpointIcon } from '../icons';
import {
  cellChangeLabel,
  DiffBlock,
  foldUnchanged,
  ICellChange,
  inlineChange,
  ICompareTarget,
  ILineOp,
  INotebookDiff,
  IOutputChange,
  sideBySideRows,
  sourceLines,
  unifiedRows
} from './logic';

/** Where the compare view gets its diff. */
export interface ICompareSource {
  /** The diff of a and b, with what a viewer needs (unchanged sources, changed images). */
  diff(target: ICompareTarget): Promise<INotebookDiff>;
}

/** The compare endpoint of the server extension, for `path` in `project`. `live` gives the
 * notebook as the editor holds it (unsaved edits included): "current" is compared with that
 * when it is there, else with the file as saved. */
export function serverCompareSource(
  path: string,
  project: string,
  live: () => unknown | null = () => null
): ICompareSource {
  return {
    diff: target => {
      const options = { outputs: '1', context: '3', viewer: '1', project };
      const notebook = target.b === 'current' ? live() : null;
      if (notebook) {
        return requestAPI<INotebookDiff>(`compare${queryString(options)}`, {
          method: 'POST',
          body: JSON.stringify({ a: target.a, notebook })
        });
      }
      return requestAPI<INotebookDiff>(
        `compare${queryString({ a: target.a, b: target.b, path, ...options })}`
      );
    }
  };
}

type Layout = 'split' | 'unified';

/**
 * A readable comparison of two checkpoints (or a checkpoint and the notebook now): a summary
 * line, then the cells in order, unchanged ones folded, changed ones with their source line
 * diff and their outputs (text diffs; images before, after and where they differ).
 */
export class CompareView extends Widget {
  constructor(
    readonly target: ICompareTarget,
    private readonly _source: ICompareSource,
    notebookName: string,
    summaryOf: (checkpointId: string) => string | undefined = () => undefined
  ) {
    super();
    this.id = compareViewId(target);
    this.addClass('nepnb-CompareView');
    // Checkpoints are named by their message (the id as a last resort), as people know them.
    const side = (s: string) =>
      s === 'current' ? 'now' : summaryOf(s) ? `“${summaryOf(s)}”` : s;
    const full = (s: string) =>
      s === 'current'
        ? 'the notebook as it is now'
        : `checkpoint ${summaryOf(s) ? `“${summaryOf(s)}” (${s})` : s}`;
    this.title.label = `${notebookName}: ${side(target.a)} → ${side(target.b)}`;
    this.title.caption = `Compare ${full(target.a)} of ${notebookName} with ${full(target.b)}`;
    this.title.icon = checkpointIcon;
    this.title.closable = true;
    this.node.tabIndex = 0;
    this.node.innerHTML = `
      <header class="nepnb-Compare-header">
        <div class="nepnb-Compare-title"></div>
        <div class="nepnb-Compare-summary" role="status">Comparing…</div>
        <div class="nepnb-Compare-options">
          <label><input type="radio" name="layout" value="split" checked> Side by side</label>
          <label><input type="radio" name="layout" value="unified"> Unified</label>
          <label><input type="checkbox" class="nepnb-show-unchanged"> Show unchanged cells</label>
        </div>
      </header>
      <div class="nepnb-Compare-metadata"></div>
      <div class="nepnb-Compare-cells"></div>`;
    this.node.querySelector('.nepnb-Compare-title')!.textContent = this.title.caption;
    for (const radio of this.node.querySelectorAll<HTMLInputElement>('input[name=layout]')) {
      radio.name = `layout-${this.id}`;
      radio.addEventListener('change', () => {
        this._diffLayout = radio.value as Layout;
        this._render();
      });
    }
    this.node
      .querySelector<HTMLInputElement>('.nepnb-show-unchanged')!
      .addEventListener('change', event => {
        this._showUnchanged = (event.target as HTMLInputElement).checked;
        this._render();
      });
    void this.load();
  }

  /** Compare again (e.g. after the notebook changed). */
  async load(): Promise<void> {
    const summary = this.node.querySelector('.nepnb-Compare-summary')!;
    try {
      this._diff = await this._source.diff(this.target);
      this.node.dataset.loaded = 'true';
      this._render();
    } catch (reason) {
      summary.textContent = `Could not compare: ${(reason as Error).message}`;
      summary.classList.add('nepnb-mod-error');
    }
  }

  private _render(): void {
    const diff = this._diff;
    if (!diff) {
      return;
    }
    const summary = this.node.querySelector('.nepnb-Compare-summary')!;
    summary.textContent = diff.summary_line;
    summary.classList.toggle('nepnb-mod-identical', diff.summary_line === 'no changes');
    const metadata = this.node.querySelector('.nepnb-Compare-metadata')!;
    metadata.replaceChildren(
      ...diff.metadata.map(change => {
        const row = document.createElement('div');
        row.className = `nepnb-MetadataChange nepnb-mod-${change.status}`;
        row.textContent = `notebook metadata ${change.key} ${change.status}: ${short(change.a)} → ${short(change.b)}`;
        return row;
      })
    );
    const blocks: DiffBlock[] = this._showUnchanged
      ? diff.cells.map(cell => ({ kind: 'cell', cell }))
      : foldUnchanged(diff.cells, 0);
    const container = this.node.querySelector('.nepnb-Compare-cells')!;
    container.replaceChildren(...blocks.map(block => this._block(block)));
  }

  private _block(block: DiffBlock): HTMLElement {
    if (block.kind === 'unchanged') {
      const fold = document.createElement('button');
      fold.className = 'nepnb-DiffFold';
      const n = block.cells.length;
      fold.textContent = `⋯ ${n} unchanged cell${n === 1 ? '' : 's'} (show)`;
      fold.addEventListener('click', () => fold.replaceWith(...block.cells.map(c => this._cell(c))));
      return fold;
    }
    return this._cell(block.cell);
  }

  private _cell(cell: ICellChange): HTMLElement {
    const node = document.createElement('section');
    node.className = `nepnb-DiffCell nepnb-mod-${cell.status}`;
    if (cell.moved) {
      node.classList.add('nepnb-mod-moved');
    }
    node.dataset.status = cell.status;
    const where =
      cell.a_index !== null && cell.b_index !== null
        ? cell.a_index === cell.b_index
          ? `cell ${cell.b_index + 1}`
          : `cell ${cell.a_index + 1} → ${cell.b_index + 1}`
        : cell.b_index !== null
          ? `cell ${cell.b_index + 1}`
          : `cell ${(cell.a_index ?? 0) + 1}`;
    const header = document.createElement('div');
    header.className = 'nepnb-DiffCell-header';
    const badge = document.createElement('span');
    badge.className = 'nepnb-DiffCell-badge';
    badge.textContent = cellChangeLabel(cell);
    const label = document.createElement('span');
    label.textContent = `${where} · ${cell.cell_type}`;
    header.append(label, badge);
    node.append(header);

    if (cell.source_diff && cell.source_diff.length) {
      node.append(this._lines(cell.source_diff));
    } else {
      const source =
        cell.status === 'removed' ? cell.source_a : (cell.source_b ?? cell.source ?? cell.source_a);
      const kind = cell.status === 'added' ? 'insert' : cell.status === 'removed' ? 'delete' : 'equal';
      node.append(this._lines([{ op: kind, lines: sourceLines(source) }]));
    }
    const outputs = (cell.outputs ?? []).filter(o => o.status !== 'unchanged');
    if (outputs.length) {
      const box = document.createElement('div');
      box.className = 'nepnb-DiffOutputs';
      for (const output of outputs) {
        box.append(this._output(output));
      }
      node.append(box);
    }
    for (const change of cell.metadata ?? []) {
      const row = document.createElement('div');
      row.className = `nepnb-MetadataChange nepnb-mod-${change.status}`;
      row.textContent = `metadata ${change.key} ${change.status}: ${short(change.a)} → ${short(change.b)}`;
      node.append(row);
    }
    return node;
  }

  private _lines(ops: ILineOp[]): HTMLElement {
    const table = document.createElement('table');
    table.className = `nepnb-Diff nepnb-mod-${this._diffLayout}`;
    const body = document.createElement('tbody');
    if (this._diffLayout === 'unified') {
      for (const row of unifiedRows(ops)) {
        const tr = document.createElement('tr');
        tr.className = `nepnb-Diff-${row.kind}`;
        const sign = row.kind === 'insert' ? '+' : row.kind === 'delete' ? '-' : ' ';
        tr.append(
          td('nepnb-Diff-n', row.a === null ? '' : String(row.a)),
          td('nepnb-Diff-n', row.b === null ? '' : String(row.b)),
          td('nepnb-Diff-text', row.kind === 'skip' ? row.text : `${sign} ${row.text}`)
        );
        body.append(tr);
      }
    } else {
      for (const row of sideBySideRows(ops)) {
        const tr = document.createElement('tr');
        tr.className = `nepnb-Diff-${row.kind}`;
        if (row.kind === 'skip') {
          const cell = td('nepnb-Diff-text', `⋯ ${row.skipped} line${row.skipped === 1 ? '' : 's'}`);
          cell.colSpan = 4;
          tr.append(cell);
        } else {
          const left = td(`nepnb-Diff-text nepnb-Diff-a${row.a ? '' : ' nepnb-Diff-empty'}`, row.a?.text ?? '');
          const right = td(`nepnb-Diff-text nepnb-Diff-b${row.b ? '' : ' nepnb-Diff-empty'}`, row.b?.text ?? '');
          if (row.kind === 'change' && row.a && row.b) {
            // the changed characters within the line, as GitHub marks them
            const change = inlineChange(row.a.text, row.b.text);
            marked(left, change.prefix, change.a, change.suffix);
            marked(right, change.prefix, change.b, change.suffix);
          }
          tr.append(
            td('nepnb-Diff-n', row.a ? String(row.a.n) : ''),
            left,
            td('nepnb-Diff-n', row.b ? String(row.b.n) : ''),
            right
          );
        }
        body.append(tr);
      }
    }
    table.append(body);
    return table;
  }

  private _output(output: IOutputChange): HTMLElement {
    const node = document.createElement('div');
    node.className = `nepnb-DiffOutput nepnb-mod-${output.status}`;
    const title = document.createElement('div');
    title.className = 'nepnb-DiffOutput-title';
    title.textContent = `output ${output.status}: ${output.output_type}${output.mime ? ` (${output.mime})` : ''}${output.note ? ` · ${output.note}` : ''}`;
    node.append(title);
    if (output.text_diff) {
      node.append(this._lines(output.text_diff));
    } else if (output.preview) {
      node.append(
        this._lines([{ op: output.status === 'removed' ? 'delete' : 'insert', lines: output.preview }])
      );
    }
    if (output.kind === 'image') {
      const images = document.createElement('div');
      images.className = 'nepnb-DiffImages';
      const mime = output.mime ?? 'image/png';
      const url = (data: string | undefined) => (data ? `data:${mime};base64,${data}` : null);
      const before = url(output.image_data?.a);
      const after = url(output.image_data?.b);
      if (before) {
        images.append(figure(before, 'before'));
      }
      if (after) {
        images.append(figure(after, 'after'));
      }
      if (output.image?.diff_png) {
        const percent = (output.image.changed_fraction * 100).toFixed(1);
        images.append(
          figure(`data:image/png;base64,${output.image.diff_png}`, `${percent}% of pixels differ`)
        );
      }
      node.append(images);
    }
    return node;
  }

  private _diff: INotebookDiff | null = null;
  private _diffLayout: Layout = 'split';
  private _showUnchanged = false;
}

/** The widget id of the compare view of `target` (one view per pair). */
export function compareViewId(target: ICompareTarget): string {
  return `nepnb-compare-${target.a}-${target.b}`;
}

function td(className: string, text: string): HTMLTableCellElement {
  const cell = document.createElement('td');
  cell.className = className;
  cell.textContent = text;
  return cell;
}

/** Fill `cell` with `prefix`, `middle` marked as changed, and `suffix`. */
function marked(cell: HTMLElement, prefix: string, middle: string, suffix: string): void {
  const mark = document.createElement('mark');
  mark.className = 'nepnb-Diff-changed';
  mark.textContent = middle;
  cell.replaceChildren(prefix, ...(middle ? [mark] : []), suffix);
}

function figure(src: string, caption: string): HTMLElement {
  const node = document.createElement('figure');
  const img = document.createElement('img');
  img.src = src;
  img.alt = caption;
  const label = document.createElement('figcaption');
  label.textContent = caption;
  node.append(img, label);
  return node;
}

function short(value: unknown): string {
  if (value === undefined || value === null) {
    return '∅';
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
