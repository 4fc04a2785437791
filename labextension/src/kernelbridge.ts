import { Cell } from '@jupyterlab/cells';
import {
  INotebookTracker,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { IOpenRun } from './api';

/** The comm target nepnb's kernel session registers (see nepnb/kernel/notebook.py). */
export const COMM_TARGET = 'nepnb';

/**
 * Cells whose execution needs the notebook as the user sees it: they open a run
 * (`%neptune init_run`, `nepnb.init_run(…)`, `neptune.init_run(…)`) or take a checkpoint.
 */
const NEEDS_LIVE_MODEL = /init_run|%neptune\s+checkpoint/;

/** Cells after which the kernel may have nepnb loaded. */
const MENTIONS_NEPNB = /nepnb|neptune/i;

/** Whether a cell's source asks for the live model to be sent first. */
export function needsLiveModel(source: string): boolean {
  return NEEDS_LIVE_MODEL.test(source);
}

/** The open runs of one notebook's kernel, as the kernel last reported them. */
export interface IKernelRuns {
  panel: NotebookPanel;
  runs: IOpenRun[];
}

/**
 * The frontend side of the kernel comm.
 *
 * Just before a cell that opens a run runs, the notebook model (unsaved edits and
 * outputs included) goes to the kernel over the comm: comm messages travel on the
 * shell channel ahead of the execute request, so the kernel has it when the cell
 * runs. The kernel answers with the notebook id to keep in the metadata and with
 * the list of its open runs. The comm opens (and asks for the runs) naming the notebook's
 * path, so a kernel that checkpointed the saved file before the comm existed hands over
 * the id it gave it.
 */
export class KernelBridge {
  constructor(private readonly tracker: INotebookTracker) {
    NotebookActions.executionScheduled.connect(this._onScheduled, this);
    NotebookActions.executed.connect(this._onExecuted, this);
    tracker.widgetAdded.connect((_, panel) => this._watch(panel));
    tracker.forEach(panel => this._watch(panel));
  }

  /** Emitted when a kernel reports its open runs. */
  get runsChanged(): ISignal<this, IKernelRuns> {
    return this._runsChanged;
  }

  /** The open runs last reported by the kernel of `panel`. */
  runsOf(panel: NotebookPanel): IOpenRun[] {
    const kernel = panel.sessionContext.session?.kernel;
    return (kernel && this._runs.get(kernel.id)) || [];
  }

  /** When the kernel of `panel` last reported its runs (ms since the epoch), or 0. */
  reportedAt(panel: NotebookPanel): number {
    const kernel = panel.sessionContext.session?.kernel;
    return (kernel && this._reportedAt.get(kernel.id)) || 0;
  }

  /** Ask the kernel of `panel` for its open runs again (only if nepnb is loaded there). */
  requestStatus(panel: NotebookPanel): void {
    const kernel = panel.sessionContext.session?.kernel;
    const comm = kernel && this._comms.get(kernel.id);
    if (comm && !comm.isDisposed) {
      comm.send({ type: 'status', path: panel.context.path });
    }
  }

  /** Ask the kernel of `panel` to stop one of its runs (never the kernel). */
  stopRun(panel: NotebookPanel, runId: string): boolean {
    const comm = this._commFor(panel);
    if (!comm) {
      return false;
    }
    comm.send({ type: 'stop', run: runId });
    return true;
  }

  /** Send `panel`'s model to its kernel now. */
  sendModel(panel: NotebookPanel): boolean {
    const comm = this._commFor(panel);
    if (!comm || !panel.context.model) {
      return false;
    }
    comm.send({
      type: 'model',
      path: panel.context.path,
      notebook: panel.context.model.toJSON() as any
    });
    console.debug(`nepnb: sent ${panel.context.path} to its kernel`);
    return true;
  }

  private _onScheduled(
    _: unknown,
    args: { notebook: Notebook; cell: Cell }
  ): void {
    const { notebook, cell } = args;
    if (cell.model.type !== 'code' || !needsLiveModel(cell.model.sharedModel.getSource())) {
      return;
    }
    const panel = this.tracker.find(p => p.content === notebook);
    if (panel) {
      try {
        this.sendModel(panel);
      } catch (reason) {
        console.warn('nepnb: could not send the notebook to its kernel', reason);
      }
    }
  }

  private _watch(panel: NotebookPanel): void {
    const forget = () => {
      const kernel = panel.sessionContext.session?.kernel;
      if (kernel) {
        this._comms.delete(kernel.id);
        this._runs.delete(kernel.id);
      }
      this._runsChanged.emit({ panel, runs: [] });
    };
    panel.sessionContext.statusChanged.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
        forget();
      }
    });
    panel.sessionContext.kernelChanged.connect(() =>
      this._runsChanged.emit({ panel, runs: [] })
    );
  }

  private _onExecuted(
    _: unknown,
    args: { notebook: Notebook; cell: Cell }
  ): void {
    // After each cell, a kernel with nepnb loaded reports its open runs. The comm is
    // first opened after a cell that mentions nepnb (before that the kernel would refuse it).
    const panel = this.tracker.find(p => p.content === args.notebook);
    const kernel = panel?.sessionContext.session?.kernel;
    if (!panel || !kernel) {
      return;
    }
    const comm = this._comms.get(kernel.id);
    if (comm && !comm.isDisposed) {
      comm.send({ type: 'status', path: panel.context.path });
    } else if (MENTIONS_NEPNB.test(args.cell.model.sharedModel.getSource())) {
      this._commFor(panel);
    }
  }

  /** The comm to `panel`'s kernel, opened if needed (the kernel refuses it while nepnb is
   * not loaded there; it is then forgotten and tried again next time). */
  private _commFor(panel: NotebookPanel): Kernel.IComm | null {
    const kernel = panel.sessionContext.session?.kernel;
    if (!kernel) {
      return null;
    }
    const existing = this._comms.get(kernel.id);
    if (existing && !existing.isDisposed) {
      return existing;
    }
    const comm = kernel.createComm(COMM_TARGET);
    comm.onMsg = message => this._onMessage(panel, kernel.id, message);
    comm.onClose = () => {
      if (this._comms.get(kernel.id) === comm) {
        this._comms.delete(kernel.id);
      }
    };
    // Naming the notebook lets the kernel hand over the id it gave the saved file when the
    // cell that loaded nepnb also opened a run (the comm was refused just before that cell).
    comm.open({ type: 'status', path: panel.context.path });
    console.debug(`nepnb: opened the comm to kernel ${kernel.id}`);
    this._comms.set(kernel.id, comm);
    return comm;
  }

  private _onMessage(
    panel: NotebookPanel,
    kernelId: string,
    message: KernelMessage.ICommMsgMsg
  ): void {
    const data = message.content.data as any;
    if (data?.type === 'notebook_id' && panel.context.model) {
      const current = (panel.context.model.getMetadata('nepnb') as any) || {};
      // Only into a notebook without one: an id already there (an upload, another kernel)
      // is the notebook's, and the kernel's checkpoints follow it from the next model on.
      if (!current.notebook_id && data.path === panel.context.path) {
        panel.context.model.setMetadata('nepnb', {
          ...current,
          notebook_id: data.notebook_id
        });
      }
    } else if (data?.type === 'runs') {
      const runs = (data.runs || []) as IOpenRun[];
      this._runs.set(kernelId, runs);
      this._reportedAt.set(kernelId, Date.now());
      this._runsChanged.emit({ panel, runs });
    }
  }

  private _comms = new Map<string, Kernel.IComm>();
  private _runs = new Map<string, IOpenRun[]>();
  private _reportedAt = new Map<string, number>();
  private _runsChanged = new Signal<this, IKernelRuns>(this);
}
