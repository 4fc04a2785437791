import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification, ToolbarButton } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';

import { CommandIDs, PALETTE_CATEGORY } from '../commands';
import { checkpointIcon } from '../icons';
import { API_NAMESPACE, storeChanged } from '../request';
import { showInMainArea } from '../shell';
import { IKernelBridge, INepnbSettings } from '../tokens';
import { CompareView, compareViewId, serverCompareSource } from './compare';
import { ICompareTarget } from './logic';
import { CheckpointsModel } from './model';
import { CheckpointsPanel } from './panel';
import { describeFailure, IUploadContext, uploadCheckpoint } from './upload';

/**
 * Notebook checkpoints: the "Upload checkpoint" command (toolbar button, palette, context
 * menu, shortcut), the checkpoints panel of the current notebook, the compare view and
 * opening a checkpoint as a new notebook.
 */
export const checkpointsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'nepnb:checkpoints',
  description: 'nepnb: notebook checkpoints (upload, list, compare, open as a notebook).',
  autoStart: true,
  requires: [INotebookTracker, IKernelBridge, INepnbSettings],
  optional: [ICommandPalette, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    bridge: IKernelBridge,
    settings: INepnbSettings,
    palette: ICommandPalette | null,
    labShell: ILabShell | null
  ): void => {
    const model = new CheckpointsModel();
    storeChanged.connect(() => void model.refresh());
    let serverProject = '';
    void settings.health.then(h => (serverProject = h?.project ?? ''));
    const project = () => model.project || serverProject;

    const current = (): NotebookPanel | null => {
      const widget = app.shell.currentWidget;
      return widget instanceof NotebookPanel ? widget : tracker.currentWidget;
    };

    const panel = new CheckpointsPanel(model, {
      upload: () => void app.commands.execute(CommandIDs.uploadCheckpoint),
      compare: target => void app.commands.execute(CommandIDs.compareCheckpoints, { ...target }),
      restore: id => void app.commands.execute(CommandIDs.restoreCheckpoint, { id }),
      download: id => download(id, model.project)
    });
    app.shell.add(panel, 'right', { rank: 700 });
    panel.follow(tracker.currentWidget);
    tracker.currentChanged.connect((_, notebook) => panel.follow(notebook));
    // After each cell the kernel reports its runs: a cell may have opened a run or taken a
    // checkpoint (`%neptune checkpoint`), so a visible list is loaded again.
    bridge.runsChanged.connect((_, { panel: notebook }) => {
      if (panel.isVisible && notebook.context.path === model.path) {
        void model.refresh();
      }
    });

    const reveal = (checkpointId: string | null) => {
      model.highlight(checkpointId);
      app.shell.activateById(panel.id);
    };

    const uploadContext: IUploadContext = {
      model,
      project,
      // Link the runs open in the notebook's kernel that log to the checkpoint's project.
      openRuns: (notebook, name) =>
        bridge
          .runsOf(notebook)
          .filter(run => !run.project || run.project === name)
          .map(run => run.id),
      reveal: (notebook, id) => {
        if (model.path === notebook.context.path) {
          reveal(id);
        }
      }
    };

    app.commands.addCommand(CommandIDs.uploadCheckpoint, {
      // In the palette, beside JupyterLab's own "Save and create checkpoint" and "Revert
      // Notebook to Checkpoint…", the label says whose checkpoint it is.
      label: args => (args.isPalette ? 'Upload a nepnb checkpoint of this notebook' : 'Upload checkpoint'),
      caption: 'Save this notebook and store a checkpoint of it in nepnb, with a message',
      icon: checkpointIcon,
      isEnabled: () => current() !== null,
      execute: async () => {
        const notebook = current();
        if (!notebook) {
          Notification.warning('Upload checkpoint works on a notebook: open or select one first.', {
            autoClose: 5000
          });
          return null;
        }
        return uploadCheckpoint(notebook, uploadContext);
      }
    });

    app.commands.addCommand(CommandIDs.showCheckpoints, {
      label: 'Show the nepnb checkpoints of this notebook',
      caption: 'The nepnb checkpoints of the current notebook',
      icon: checkpointIcon,
      execute: args => reveal((args.checkpoint as string) || null)
    });

    app.commands.addCommand(CommandIDs.compareCheckpoints, {
      label: 'Compare checkpoints',
      caption: 'Compare two checkpoints, or one with the notebook now',
      execute: args => {
        const target: ICompareTarget = { a: String(args.a), b: String(args.b ?? 'current') };
        const notebook = tracker.find(p => p.context.path === model.path) ?? current();
        const path = notebook?.context.path ?? model.path;
        const name = path.split('/').pop() ?? path;
        const open = labShell
          ? Array.from(labShell.widgets('main')).find(w => w.id === compareViewId(target))
          : undefined;
        if (open instanceof CompareView) {
          labShell!.activateById(open.id);
          void open.load(); // asked again: compare again (the notebook may have changed)
          return;
        }
        const live = () => notebook?.context.model?.toJSON() ?? null;
        const summaryOf = (id: string) =>
          [...model.checkpoints, ...(model.restoredFrom ? [model.restoredFrom] : [])].find(
            c => c.id === id
          )?.summary;
        const view = new CompareView(
          target,
          serverCompareSource(path, model.project, live),
          name,
          summaryOf
        );
        if (notebook && target.b === 'current') {
          // A view of "now" follows the notebook's saves.
          const reload = (_: unknown, state: string) => {
            if (state === 'completed') {
              void view.load();
            }
          };
          notebook.context.saveState.connect(reload);
          view.disposed.connect(() => notebook.context.saveState.disconnect(reload));
        }
        showInMainArea(app, labShell, view);
      }
    });

    app.commands.addCommand(CommandIDs.restoreCheckpoint, {
      label: 'Open checkpoint as a new notebook',
      execute: async args => {
        const id = String(args.id);
        try {
          const path = await model.restore(id);
          await app.commands.execute('docmanager:open', { path });
          Notification.success(`Opened checkpoint ${id} as ${path} (your notebook is untouched).`, {
            autoClose: 6000
          });
        } catch (reason) {
          Notification.error(`Could not open checkpoint ${id}: ${describeFailure(reason)}`, {
            autoClose: false
          });
        }
      }
    });

    if (palette) {
      for (const command of [CommandIDs.uploadCheckpoint, CommandIDs.showCheckpoints]) {
        palette.addItem({ command, category: PALETTE_CATEGORY, args: { isPalette: true } });
      }
    }

    const addButton = (notebook: NotebookPanel) => {
      const button = new ToolbarButton({
        icon: checkpointIcon,
        label: 'Upload checkpoint',
        tooltip: 'Upload checkpoint: save this notebook and store it in nepnb with a message',
        className: 'nepnb-UploadButton',
        onClick: () => {
          void uploadCheckpoint(notebook, uploadContext);
        }
      });
      if (!notebook.toolbar.insertAfter('cellType', 'nepnb-upload-checkpoint', button)) {
        notebook.toolbar.addItem('nepnb-upload-checkpoint', button);
      }
    };
    tracker.forEach(addButton);
    tracker.widgetAdded.connect((_, notebook) => addButton(notebook));

    const applySettings = () => {
      model.project = settings.project;
    };
    applySettings();
    settings.changed.connect(applySettings);
  }
};

/** Download a checkpoint as an .ipynb file (the browser's session cookie authenticates it). */
function download(checkpointId: string, project: string): void {
  const serverSettings = ServerConnection.makeSettings();
  let url = URLExt.join(serverSettings.baseUrl, API_NAMESPACE, 'checkpoints', checkpointId, 'notebook');
  if (project) {
    url += `?project=${encodeURIComponent(project)}`;
  }
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  document.body.append(link);
  link.click();
  link.remove();
}
