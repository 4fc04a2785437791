import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { NepnbRequestError } from '../request';
import { ICheckpoint, linkedRunsNote, MAX_SUMMARY, messageProblem } from './logic';
import { CheckpointsModel } from './model';

/** A checkpoint message: the summary line and the optional body. */
export interface IMessage {
  summary: string;
  body: string;
}

/** The body of the "Upload checkpoint" dialog: a summary line, a body, and what is wrong. */
export class MessageForm extends Widget implements Dialog.IBodyWidget<IMessage> {
  constructor(initial: IMessage, problem: string | null, notebookName: string) {
    super();
    this.addClass('nepnb-MessageForm');
    const intro = document.createElement('p');
    intro.className = 'nepnb-MessageForm-intro';
    intro.textContent = `Saves ${notebookName} and stores a checkpoint of it in nepnb.`;
    this._summary = document.createElement('input');
    this._summary.type = 'text';
    this._summary.className = 'jp-mod-styled nepnb-MessageForm-summary';
    this._summary.placeholder = 'Summary: what changed (required)';
    this._summary.setAttribute('aria-label', 'Checkpoint summary');
    this._summary.maxLength = MAX_SUMMARY;
    this._summary.value = initial.summary;
    this._body = document.createElement('textarea');
    this._body.className = 'jp-mod-styled nepnb-MessageForm-body';
    this._body.placeholder = 'Details (optional): why, results, what to try next';
    this._body.setAttribute('aria-label', 'Checkpoint details');
    this._body.rows = 5;
    this._body.value = initial.body;
    this._problem = document.createElement('div');
    this._problem.className = 'nepnb-MessageForm-problem';
    this._problem.setAttribute('role', 'alert');
    this._problem.textContent = problem ?? '';
    const count = document.createElement('div');
    count.className = 'nepnb-MessageForm-count';
    const showCount = () => {
      count.textContent = `${this._summary.value.trim().length} / ${MAX_SUMMARY}`;
    };
    this._summary.addEventListener('input', () => {
      showCount();
      this._problem.textContent = '';
    });
    showCount();
    this.node.append(intro, this._summary, count, this._body, this._problem);
  }

  getValue(): IMessage {
    return { summary: this._summary.value.trim(), body: this._body.value.trim() };
  }

  protected onAfterAttach(): void {
    this._summary.focus();
  }

  private _summary: HTMLInputElement;
  private _body: HTMLTextAreaElement;
  private _problem: HTMLDivElement;
}

/** Ask for a checkpoint message until it is valid; null when the user cancels. */
export async function askMessage(notebookName: string): Promise<IMessage | null> {
  let value: IMessage = { summary: '', body: '' };
  let problem: string | null = null;
  for (;;) {
    const result = await showDialog<IMessage>({
      title: 'Upload checkpoint',
      body: new MessageForm(value, problem, notebookName),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: 'Upload', ariaLabel: 'Upload checkpoint' })
      ],
      focusNodeSelector: '.nepnb-MessageForm-summary'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    value = result.value;
    problem = messageProblem(value.summary, value.body);
    if (!problem) {
      return value;
    }
  }
}

/** What went wrong, said so that the user knows what to do. */
export function describeFailure(reason: unknown): string {
  if (reason instanceof ServerConnection.NetworkError) {
    return 'The Jupyter server did not answer (is it still running?). Nothing was lost: your notebook and message are kept; retry when it is back.';
  }
  if (reason instanceof NepnbRequestError) {
    if (reason.status === 404 && /nepnb\/api/.test(reason.message)) {
      return 'The nepnb server extension is not enabled on this Jupyter server (jupyter server extension enable nepnb).';
    }
    return reason.message;
  }
  return (reason as Error)?.message ?? String(reason);
}

/** What the upload command needs from the rest of the extension. */
export interface IUploadContext {
  model: CheckpointsModel;
  /** The ids of the runs open in the notebook's kernel, in `project`. */
  openRuns(panel: NotebookPanel, project: string): string[];
  /** The project the checkpoint goes to ('' for the server's default). */
  project(): string;
  /** Show the checkpoint in the checkpoints panel. */
  reveal(panel: NotebookPanel, checkpointId: string): void;
}

/**
 * The whole "Upload checkpoint" flow for a notebook panel: ask for the message, save,
 * upload, keep the notebook id in the notebook's own metadata, and tell the user.
 * Returns the checkpoint, or null when cancelled or failed (the failure is notified and
 * offers a retry with the same message).
 */
export async function uploadCheckpoint(
  panel: NotebookPanel,
  context: IUploadContext,
  message?: IMessage
): Promise<ICheckpoint | null> {
  const name = panel.context.localPath.split('/').pop() ?? panel.context.path;
  const chosen = message ?? (await askMessage(name));
  if (!chosen) {
    return null;
  }
  const progress = Notification.emit(`Uploading a checkpoint of ${name}…`, 'in-progress', {
    autoClose: false
  });
  const fail = (what: string) => {
    Notification.update({
      id: progress,
      message: what,
      type: 'error',
      autoClose: false,
      actions: [
        {
          label: 'Retry',
          caption: 'Upload the checkpoint again with the same message',
          callback: () => void uploadCheckpoint(panel, context, chosen)
        }
      ]
    });
  };
  try {
    await panel.context.save();
  } catch (reason) {
    fail(`Could not save ${name}, so no checkpoint was taken: ${describeFailure(reason)}`);
    return null;
  }
  let checkpoint: ICheckpoint;
  try {
    const project = context.project();
    const reply = await context.model.upload(
      panel.context.path,
      chosen.summary,
      chosen.body,
      context.openRuns(panel, project)
    );
    checkpoint = reply.checkpoint;
    await keepNotebookId(panel, reply.notebook_id);
    await context.model.uploaded(panel.context.path, checkpoint.id);
  } catch (reason) {
    fail(`Checkpoint upload failed: ${describeFailure(reason)}`);
    return null;
  }
  const runs = linkedRunsNote(checkpoint.runs);
  Notification.update({
    id: progress,
    message: `Checkpoint ${checkpoint.id} uploaded: "${checkpoint.summary}"${runs}`,
    type: 'success',
    autoClose: 8000,
    actions: [
      {
        label: 'Show',
        caption: 'Show the checkpoint in the checkpoints panel',
        callback: () => context.reveal(panel, checkpoint.id)
      }
    ]
  });
  return checkpoint;
}

/** Put the notebook id in the notebook's metadata (and save) when it is not there yet. */
async function keepNotebookId(panel: NotebookPanel, notebookId: string): Promise<void> {
  const model = panel.context.model;
  const current = (model.getMetadata('nepnb') as Record<string, unknown>) ?? {};
  if (current.notebook_id === notebookId) {
    return;
  }
  model.setMetadata('nepnb', { ...current, notebook_id: notebookId });
  await panel.context.save();
}
