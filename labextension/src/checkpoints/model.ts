import { ISignal, Signal } from '@lumino/signaling';

import { queryString } from '../query';
import { requestAPI } from '../request';
import {
  compareTarget,
  ICheckpoint,
  ICheckpointList,
  ICompareTarget,
  IUploadReply,
  newestFirst,
  toggleSelection
} from './logic';

/** What a notebook's checkpoint history is doing. */
export type LoadState = 'idle' | 'loading' | 'ready' | 'error';

/**
 * The checkpoint history of one notebook path: the list, the selection, and the calls
 * to the server extension. Widgets listen to `changed` and never call the server.
 */
export class CheckpointsModel {
  /** Emitted whenever the path, the list, the selection or the state changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The notebook path (relative to the server's root), or '' when none is active. */
  get path(): string {
    return this._path;
  }

  get state(): LoadState {
    return this._state;
  }

  /** The last error message, when `state` is 'error'. */
  get error(): string {
    return this._error;
  }

  /** Newest first. */
  get checkpoints(): ICheckpoint[] {
    return this._checkpoints;
  }

  get notebookId(): string | null {
    return this._notebookId;
  }

  /** The selected checkpoint ids (at most two). */
  get selection(): string[] {
    return this._selection;
  }

  /** The checkpoint this notebook was restored from ("Open as notebook"), if it was. */
  get restoredFrom(): ICheckpoint | null {
    return this._restoredFrom;
  }

  /** The checkpoint to point at after an upload or a link from a notification. */
  get highlighted(): string | null {
    return this._highlighted;
  }

  /** The project; '' means the server extension's default. */
  get project(): string {
    return this._project;
  }

  set project(value: string) {
    if (value !== this._project) {
      this._project = value;
      void this.refresh();
    }
  }

  /**
   * Follow another notebook (or none). `notebookId` reads the id in the notebook's live model:
   * the kernel or an upload may have set it before the file was saved, and the history is
   * found by that id first (by the file's id otherwise).
   */
  setPath(
    path: string,
    notebookId: () => string | null = () => null,
    restoredFrom: () => string | null = () => null
  ): void {
    this._idOf = notebookId;
    this._originOf = restoredFrom;
    if (path === this._path) {
      return;
    }
    this._path = path;
    this._checkpoints = [];
    this._selection = [];
    this._highlighted = null;
    this._notebookId = null;
    this._restoredFrom = null;
    void this.refresh();
  }

  /** Load the history of the current path again. */
  async refresh(): Promise<void> {
    const path = this._path;
    if (!path) {
      this._state = 'idle';
      this._changed.emit();
      return;
    }
    this._state = 'loading';
    this._changed.emit();
    try {
      const notebookId = this._idOf() ?? undefined;
      const reply = await requestAPI<ICheckpointList>(
        `checkpoints${queryString({
          ...(notebookId ? { notebook_id: notebookId } : { path }),
          project: this._project
        })}`
      );
      if (path !== this._path) {
        return; // the user moved on meanwhile
      }
      const origin = this._originOf();
      this._restoredFrom =
        origin && this._restoredFrom?.id !== origin
          ? await requestAPI<ICheckpoint>(
              `checkpoints/${origin}${queryString({ project: this._project })}`
            ).catch(() => null)
          : origin
            ? this._restoredFrom
            : null;
      if (path !== this._path) {
        return;
      }
      this._checkpoints = newestFirst(reply.checkpoints);
      this._notebookId = reply.notebook_id;
      const known = new Set(this._checkpoints.map(c => c.id));
      this._selection = this._selection.filter(id => known.has(id));
      this._state = 'ready';
      this._error = '';
    } catch (reason) {
      if (path !== this._path) {
        return;
      }
      this._state = 'error';
      this._error = (reason as Error).message;
    }
    this._changed.emit();
  }

  /** Upload a checkpoint of the saved file at `path`. */
  async upload(
    path: string,
    message: string,
    body: string,
    runs: string[]
  ): Promise<IUploadReply> {
    const reply = await requestAPI<IUploadReply>('checkpoints', {
      method: 'POST',
      body: JSON.stringify({
        path,
        message,
        body: body || null,
        runs,
        // The browser holds the notebook: it sets the id in its own model and saves it,
        // so JupyterLab never sees the file changed behind its back.
        write_id: false,
        ...(this._project ? { project: this._project } : {})
      })
    });
    return reply;
  }

  /** Show a checkpoint just uploaded of `path` (once its notebook id is in the file). */
  async uploaded(path: string, checkpointId: string): Promise<void> {
    if (path === this._path) {
      this._highlighted = checkpointId;
      await this.refresh();
    }
  }

  /** Select or unselect a checkpoint (at most two stay selected). */
  toggle(id: string): void {
    this._selection = toggleSelection(this._selection, id);
    this._changed.emit();
  }

  /** Point at one checkpoint (after a link from a notification). */
  highlight(id: string | null): void {
    this._highlighted = id;
    this._changed.emit();
  }

  /** What the current selection compares, or null. */
  target(): ICompareTarget | null {
    return compareTarget(this._selection, this._checkpoints);
  }

  /** Restore a checkpoint as a new notebook next to the current one (never over it); its path. */
  async restore(id: string): Promise<string> {
    const reply = await requestAPI<{ path: string }>(
      `checkpoints/${id}/restore${queryString({ project: this._project })}`,
      { method: 'POST', body: JSON.stringify({ path: this._path }) }
    );
    return reply.path;
  }

  private _path = '';
  private _idOf: () => string | null = () => null;
  private _originOf: () => string | null = () => null;
  private _restoredFrom: ICheckpoint | null = null;
  private _project = '';
  private _state: LoadState = 'idle';
  private _error = '';
  private _checkpoints: ICheckpoint[] = [];
  private _notebookId: string | null = null;
  private _selection: string[] = [];
  private _highlighted: string | null = null;
  private _changed = new Signal<this, void>(this);
}
