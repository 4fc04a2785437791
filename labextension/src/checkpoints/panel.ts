import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { checkpointIcon } from '../icons';
import { ICheckpoint, ICompareTarget, timeAgo } from './logic';
import { CheckpointsModel } from './model';

/** While the list cannot be loaded (e.g. the tracking server is down), the shown panel tries
 * again this often, so it recovers by itself when the server is back. */
export const RETRY_MS = 10_000;

/** What the panel's buttons do; the plugin wires them to commands. */
export interface ICheckpointsPanelActions {
  upload(): void;
  compare(target: ICompareTarget): void;
  restore(checkpointId: string): void;
  download(checkpointId: string): void;
}

/**
 * The checkpoints of the current notebook, newest first: select one or two to compare,
 * open one as a new notebook, or download it.
 */
export class CheckpointsPanel extends Widget {
  constructor(
    readonly model: CheckpointsModel,
    private readonly _actions: ICheckpointsPanelActions
  ) {
    super();
    this.id = 'nepnb-checkpoints-panel';
    this.addClass('nepnb-CheckpointsPanel');
    this.title.icon = checkpointIcon;
    this.title.caption = 'nepnb checkpoints of this notebook';
    this.node.innerHTML = `
      <header class="nepnb-Panel-header">
        <h2>Checkpoints</h2>
        <div class="nepnb-Panel-subtitle"></div>
        <div class="nepnb-Panel-buttons">
          <button class="jp-mod-styled jp-mod-accept nepnb-upload">Upload checkpoint</button>
          <button class="jp-mod-styled nepnb-refresh" title="Load the list again">Refresh</button>
        </div>
      </header>
      <div class="nepnb-Panel-toolbar">
        <button class="jp-mod-styled nepnb-compare" disabled>Compare</button>
        <button class="jp-mod-styled nepnb-restore" disabled title="Open the selected checkpoint as a new notebook">Open as notebook</button>
        <button class="jp-mod-styled nepnb-download" disabled title="Download the selected checkpoint as .ipynb">Download</button>
      </div>
      <div class="nepnb-Panel-origin" hidden>
        <span class="nepnb-Panel-originText"></span>
        <button class="jp-mod-styled jp-mod-link nepnb-origin-compare" title="Compare this notebook with the checkpoint it was restored from">Compare with it</button>
      </div>
      <div class="nepnb-Panel-hint"></div>
      <ol class="nepnb-CheckpointList"></ol>`;
    this._subtitle = this.node.querySelector('.nepnb-Panel-subtitle')!;
    this._hint = this.node.querySelector('.nepnb-Panel-hint')!;
    this._origin = this.node.querySelector('.nepnb-Panel-origin')!;
    this.node.querySelector('.nepnb-origin-compare')!.addEventListener('click', () => {
      const origin = this.model.restoredFrom;
      if (origin) {
        this._actions.compare({ a: origin.id, b: 'current' });
      }
    });
    this._list = this.node.querySelector('.nepnb-CheckpointList')!;
    this._compare = this.node.querySelector('.nepnb-compare')!;
    this._restore = this.node.querySelector('.nepnb-restore')!;
    this._download = this.node.querySelector('.nepnb-download')!;
    this.node.querySelector('.nepnb-upload')!.addEventListener('click', () =>
      this._actions.upload()
    );
    this.node.querySelector('.nepnb-refresh')!.addEventListener('click', () =>
      void this.model.refresh()
    );
    this._compare.addEventListener('click', () => {
      const target = this.model.target();
      if (target) {
        this._actions.compare(target);
      }
    });
    this._restore.addEventListener('click', () => this._actions.restore(this.model.selection[0]));
    this._download.addEventListener('click', () =>
      this._actions.download(this.model.selection[0])
    );
    this._list.addEventListener('change', event => {
      const box = event.target as HTMLInputElement;
      const id = box.closest<HTMLElement>('[data-checkpoint-id]')?.dataset.checkpointId;
      if (id) {
        this.model.toggle(id);
      }
    });
    model.changed.connect(this._render, this);
    this._render();
  }

  /** Follow a notebook panel (or none). */
  follow(panel: NotebookPanel | null): void {
    const field = (key: 'notebook_id' | 'restored_from') => () => {
      const metadata = panel?.context.model?.getMetadata('nepnb') as
        | Record<string, unknown>
        | undefined;
      return typeof metadata?.[key] === 'string' ? (metadata[key] as string) : null;
    };
    this.model.setPath(
      panel ? panel.context.path : '',
      field('notebook_id'),
      field('restored_from')
    );
  }

  /** Load the list again when the panel is shown: checkpoints may have come from elsewhere
   * (the kernel's `%neptune checkpoint`, the CLI, another browser). */
  protected onAfterShow(): void {
    void this.model.refresh();
  }

  dispose(): void {
    window.clearTimeout(this._retry);
    this.model.changed.disconnect(this._render, this);
    super.dispose();
  }

  /** Load the list again in a while if it failed and the panel is shown. */
  private _retryLater(): void {
    if (this.model.state !== 'error' || this._retry !== undefined || !this.isVisible) {
      return;
    }
    this._retry = window.setTimeout(() => {
      this._retry = undefined;
      if (this.isVisible && this.model.state === 'error') {
        void this.model.refresh();
      }
    }, RETRY_MS);
  }

  private _render(): void {
    const model = this.model;
    this._retryLater();
    this._subtitle.textContent = model.path
      ? model.path.split('/').pop()!
      : 'No notebook is active';
    this._subtitle.title = model.path;
    this.node.dataset.state = model.state;
    const count = model.selection.length;
    const target = model.target();
    this._compare.disabled = target === null;
    this._compare.textContent =
      target?.b === 'current' ? 'Compare with current' : count === 2 ? 'Compare selected' : 'Compare';
    this._compare.title =
      count === 0
        ? 'Select a checkpoint to compare with the notebook as it is now, or two to compare them'
        : '';
    this._restore.disabled = count !== 1;
    this._download.disabled = count !== 1;
    this._hint.textContent = this._hintText();
    const origin = model.restoredFrom;
    this._origin.hidden = origin === null;
    if (origin) {
      const from = origin.path.split('/').pop() ?? origin.path;
      this._origin.querySelector('.nepnb-Panel-originText')!.textContent =
        `Restored from checkpoint “${origin.summary}” (${origin.id.slice(0, 12)}) of ${from}.`;
      this._origin.title = `${origin.path}, ${new Date(origin.created * 1000).toLocaleString()}`;
    }
    this._list.replaceChildren(...model.checkpoints.map(c => this._item(c)));
    const highlighted = this._list.querySelector('.nepnb-mod-highlighted');
    highlighted?.scrollIntoView?.({ block: 'nearest' });
  }

  private _hintText(): string {
    const model = this.model;
    switch (model.state) {
      case 'idle':
        return 'Open a notebook to see its checkpoints.';
      case 'loading':
        return model.checkpoints.length ? '' : 'Loading…';
      case 'error':
        return `Could not load the checkpoints: ${model.error}`;
    }
    if (!model.checkpoints.length) {
      return 'No checkpoints yet. "Upload checkpoint" stores this notebook as it is, with a message.';
    }
    return model.selection.length ? '' : 'Select one checkpoint (to compare with now) or two.';
  }

  private _item(checkpoint: ICheckpoint): HTMLLIElement {
    const item = document.createElement('li');
    item.className = 'nepnb-Checkpoint';
    item.dataset.checkpointId = checkpoint.id;
    if (this.model.selection.includes(checkpoint.id)) {
      item.classList.add('nepnb-mod-selected');
    }
    if (this.model.highlighted === checkpoint.id) {
      item.classList.add('nepnb-mod-highlighted');
    }
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = this.model.selection.includes(checkpoint.id);
    box.setAttribute('aria-label', `Select checkpoint ${checkpoint.id}`);
    const text = document.createElement('div');
    text.className = 'nepnb-Checkpoint-text';
    const summary = document.createElement('div');
    summary.className = 'nepnb-Checkpoint-summary';
    summary.textContent = checkpoint.summary;
    const created = new Date(checkpoint.created * 1000);
    const meta = document.createElement('div');
    meta.className = 'nepnb-Checkpoint-meta';
    meta.innerHTML = '<code></code> · <span class="nepnb-author"></span> · <time></time>';
    meta.querySelector('code')!.textContent = checkpoint.id;
    meta.querySelector('.nepnb-author')!.textContent = checkpoint.author;
    const time = meta.querySelector('time')!;
    time.dateTime = created.toISOString();
    time.textContent = timeAgo(checkpoint.created);
    time.title = created.toLocaleString();
    text.append(summary, meta);
    if (checkpoint.body) {
      const body = document.createElement('div');
      body.className = 'nepnb-Checkpoint-body';
      body.textContent = checkpoint.body;
      text.append(body);
    }
    if (checkpoint.runs.length) {
      const runs = document.createElement('div');
      runs.className = 'nepnb-Checkpoint-runs';
      for (const run of checkpoint.runs) {
        const chip = document.createElement('span');
        chip.className = 'nepnb-Chip';
        chip.textContent = run;
        chip.title = `Run ${run} was open in this notebook`;
        runs.append(chip);
      }
      text.append(runs);
    }
    const label = document.createElement('label');
    label.append(box, text);
    item.append(label);
    return item;
  }

  private _retry: number | undefined;
  private _subtitle: HTMLElement;
  private _hint: HTMLElement;
  private _origin: HTMLElement;
  private _list: HTMLOListElement;
  private _compare: HTMLButtonElement;
  private _restore: HTMLButtonElement;
  private _download: HTMLButtonElement;
}
