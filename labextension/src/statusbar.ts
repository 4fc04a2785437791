import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { KernelBridge } from './kernelbridge';
import { IRunNow, runsNow, statusText } from './openruns';
import { duration } from './checkpoints/logic';

/** How often the item asks an idle kernel for its runs again, and re-ages them (ms). */
const POLL_MS = 30_000;
const AGE_MS = 10_000;

/**
 * The open runs of the active notebook's kernel: "nepnb: CLS-3 open", turning to a warning
 * when one is hanging (idle past the kernel's limit). A click lists them, each with a Stop
 * button that asks the kernel to stop that run (never the kernel itself).
 */
export class OpenRunsItem extends Widget {
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _bridge: KernelBridge
  ) {
    super({ node: document.createElement('button') });
    this.addClass('nepnb-OpenRuns');
    this.node.setAttribute('type', 'button');
    this.node.addEventListener('click', () => this._togglePopup());
    _bridge.runsChanged.connect(this._render, this);
    _tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._onCurrentChanged();
    this._ageTimer = window.setInterval(() => this._render(), AGE_MS);
    this._pollTimer = window.setInterval(() => this._poll(), POLL_MS);
  }

  /** The runs shown now (for the popup and tests). */
  get runs(): IRunNow[] {
    const panel = this._tracker.currentWidget;
    if (!panel) {
      return [];
    }
    const busy = panel.sessionContext.session?.kernel?.status === 'busy';
    return runsNow(
      this._bridge.runsOf(panel),
      this._bridge.reportedAt(panel) / 1000,
      Date.now() / 1000,
      busy
    );
  }

  dispose(): void {
    window.clearInterval(this._ageTimer);
    window.clearInterval(this._pollTimer);
    this._closePopup();
    this._bridge.runsChanged.disconnect(this._render, this);
    this._tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    super.dispose();
  }

  private _onCurrentChanged(): void {
    this._panelStatus?.disconnect(this._render, this);
    const panel = this._tracker.currentWidget;
    this._panelStatus = panel?.sessionContext.statusChanged ?? null;
    this._panelStatus?.connect(this._render, this);
    this._render();
  }

  private _poll(): void {
    const panel = this._tracker.currentWidget;
    if (panel && panel.sessionContext.session?.kernel?.status === 'idle') {
      this._bridge.requestStatus(panel);
    }
  }

  private _render(): void {
    const runs = this.runs;
    this._tellStopped(runs);
    const hanging = runs.some(r => r.hangingNow);
    this.node.textContent = statusText(runs);
    this.node.classList.toggle('nepnb-mod-warning', hanging);
    this.node.classList.toggle('nepnb-mod-empty', runs.length === 0);
    this.node.dataset.runs = String(runs.length);
    this.node.dataset.hanging = String(runs.filter(r => r.hangingNow).length);
    this.node.title = runs.length
      ? `${runs.map(r => describe(r)).join('\n')}\nClick for details and to stop a run.`
      : 'No nepnb run is open in this notebook’s kernel.';
    if (this._popup) {
      this._fillPopup(this._popup, runs);
    }
  }

  private _togglePopup(): void {
    if (this._popup) {
      this._closePopup();
      return;
    }
    const popup = document.createElement('div');
    popup.className = 'nepnb-OpenRunsPopup jp-ThemedContainer';
    const box = this.node.getBoundingClientRect();
    popup.style.left = `${Math.max(4, box.left)}px`;
    popup.style.bottom = `${Math.max(4, window.innerHeight - box.top + 4)}px`;
    document.body.append(popup);
    this._popup = popup;
    this._fillPopup(popup, this.runs);
    const close = (event: MouseEvent) => {
      if (!popup.contains(event.target as Node) && !this.node.contains(event.target as Node)) {
        this._closePopup();
      }
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this._closePopup();
        this.node.focus();
      }
    };
    document.addEventListener('mousedown', close, true);
    document.addEventListener('keydown', escape, true);
    this._popupCloser = () => {
      document.removeEventListener('mousedown', close, true);
      document.removeEventListener('keydown', escape, true);
    };
  }

  private _closePopup(): void {
    this._popup?.remove();
    this._popup = null;
    this._popupCloser?.();
    this._popupCloser = null;
  }

  private _fillPopup(popup: HTMLElement, runs: IRunNow[]): void {
    const panel = this._tracker.currentWidget;
    if (!runs.length || !panel) {
      popup.textContent = 'No nepnb run is open in this notebook’s kernel. Open one with %neptune init_run.';
      return;
    }
    popup.replaceChildren(
      ...runs.map(run => {
        const row = document.createElement('div');
        row.className = `nepnb-OpenRun${run.hangingNow ? ' nepnb-mod-warning' : ''}`;
        row.dataset.runId = run.id;
        const text = document.createElement('span');
        text.textContent = describe(run);
        const stop = document.createElement('button');
        stop.className = 'jp-mod-styled jp-mod-warn';
        stop.textContent = 'Stop';
        stop.title = `Stop ${run.id} (the kernel keeps running)`;
        stop.addEventListener('click', () => this._stop(panel, run.id, stop));
        row.append(text, stop);
        return row;
      })
    );
  }

  private _stop(panel: NotebookPanel, runId: string, button: HTMLButtonElement): void {
    if (this._bridge.stopRun(panel, runId)) {
      button.disabled = true;
      button.textContent = 'Stopping…';
      this._stopping.set(runId, panel);
    }
  }

  /** Say in JupyterLab, where the user looks, that a run stopped from the popup is stopped. */
  private _tellStopped(runs: IRunNow[]): void {
    for (const [runId, panel] of [...this._stopping]) {
      if (panel !== this._tracker.currentWidget || runs.some(run => run.id === runId)) {
        continue;
      }
      this._stopping.delete(runId);
      Notification.success(
        `Stopped run ${runId} of ${panel.context.path} from the status bar (the kernel keeps running).`,
        { autoClose: 8000 }
      );
    }
  }

  private _panelStatus: NotebookPanel['sessionContext']['statusChanged'] | null = null;
  private _popup: HTMLElement | null = null;
  /** Runs the popup asked to stop, until the kernel no longer lists them. */
  private _stopping = new Map<string, NotebookPanel>();
  private _popupCloser: (() => void) | null = null;
  private _ageTimer: number;
  private _pollTimer: number;
}

/** "CLS-3 walk (run): open 2 h 5 min, idle 31 min, hanging, 120 writes queued". */
function describe(run: IRunNow): string {
  const parts = [`open ${duration(run.ageNow)}`, `idle ${duration(run.idleNow)}`];
  if (run.hangingNow) {
    parts.push('hanging: stop it if you are done');
  }
  if (run.queued) {
    parts.push(`${run.queued} writes queued`);
  }
  const variables = run.variables.length ? ` (${run.variables.join(', ')})` : '';
  const name = run.name && run.name !== 'Untitled' ? ` ${run.name}` : '';
  return `${run.id}${name}${variables}: ${parts.join(', ')}`;
}
