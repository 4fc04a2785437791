import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog,
  ToolbarButton
} from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from './commands';
import { CompareView, compareViewId, serverCompareSource } from './checkpoints/compare';
import { ICompareTarget } from './checkpoints/logic';
import { CheckpointsModel } from './checkpoints/model';
import { CheckpointsPanel } from './checkpoints/panel';
import { describeFailure, IUploadContext, uploadCheckpoint } from './checkpoints/upload';
import { checkpointIcon } from './icons';
import { KernelBridge } from './kernelbridge';
import { runsPlugin } from './runs/plugin';
import { API_NAMESPACE, requestAPI, storeChanged } from './request';
import { showInMainArea } from './shell';
import { OpenRunsItem } from './statusbar';
import { IHealth, IServerSettings, PLUGIN_ID } from './tokens';

/**
 * The main nepnb plugin: the kernel bridge, the "Upload checkpoint" command (toolbar button,
 * palette, context menu, shortcut), the checkpoints panel and compare view, the open-runs
 * status item, and the settings.
 *
 * It marks the page (`data-nepnb-activated` on `<body>`) so that users and tests can see at
 * a glance that the extension is live.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'nepnb: notebook checkpoints and experiment tracking.',
  autoStart: true,
  optional: [INotebookTracker, ICommandPalette, ISettingRegistry, IStatusBar, ILabShell],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    statusBar: IStatusBar | null,
    labShell: ILabShell | null
  ): Promise<void> => {
    document.body.dataset.nepnbActivated = 'true';
    const health = checkHealth();
    if (!tracker) {
      return;
    }
    const bridge = new KernelBridge(tracker);
    const model = new CheckpointsModel();
    storeChanged.connect(() => void model.refresh());
    let serverProject = '';
    void health.then(h => (serverProject = h?.project ?? ''));
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
      label: 'Upload checkpoint',
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
      label: 'Show notebook checkpoints',
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
        if (labShell && Array.from(labShell.widgets('main')).some(w => w.id === compareViewId(target))) {
          labShell.activateById(compareViewId(target));
          return;
        }
        const view = new CompareView(target, serverCompareSource(path, model.project), name);
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

    app.commands.addCommand(CommandIDs.setToken, {
      label: 'nepnb: Set the tracking server token…',
      caption: 'Keep an API token for the tracking server on the Jupyter server (never in the browser)',
      execute: () => askToken()
    });

    if (palette) {
      const category = 'nepnb';
      for (const command of [
        CommandIDs.uploadCheckpoint,
        CommandIDs.showCheckpoints,
        CommandIDs.setToken
      ]) {
        palette.addItem({ command, category });
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

    const item = new OpenRunsItem(tracker, bridge);
    if (statusBar) {
      statusBar.registerStatusItem('nepnb:open-runs', {
        item,
        align: 'left',
        rank: 4,
        isActive: () => tracker.currentWidget !== null && app.shell.currentWidget === tracker.currentWidget
      });
    } else {
      // Notebook 7 has no status bar: the same item goes into the notebook's toolbar.
      item.addClass('nepnb-mod-toolbar');
      app.restored.then(() => {
        const notebook = tracker.currentWidget;
        notebook?.toolbar.addItem('nepnb-open-runs', item);
      });
    }

    if (settingRegistry) {
      try {
        const settings = await settingRegistry.load(PLUGIN_ID);
        const apply = () => {
          model.project = (settings.get('project').composite as string) || '';
          void pushServerUrl(settings.get('serverUrl').composite as string);
        };
        apply();
        settings.changed.connect(apply);
      } catch (reason) {
        console.warn('nepnb: could not load the settings', reason);
      }
    }
  }
};

/** Ask the server extension whether it answers; mark the page with the result. */
async function checkHealth(): Promise<IHealth | null> {
  try {
    const health = await requestAPI<IHealth>('health');
    document.body.dataset.nepnbStore = health.location;
    console.log(`nepnb ${health.version} is active (${health.store} store at ${health.location})`);
    return health;
  } catch (reason) {
    document.body.dataset.nepnbStore = '';
    console.error(
      'nepnb: the server extension did not answer; is it enabled? (jupyter server extension list)',
      reason
    );
    return null;
  }
}

let lastServerUrl: string | null = null;

/** Tell the server extension which tracking server the settings name. */
async function pushServerUrl(serverUrl: string): Promise<void> {
  if (serverUrl === lastServerUrl) {
    return;
  }
  lastServerUrl = serverUrl;
  try {
    await requestAPI<IServerSettings>('settings', {
      method: 'PUT',
      body: JSON.stringify({ server_url: serverUrl })
    });
    storeChanged.emit();
  } catch (reason) {
    console.warn('nepnb: could not pass the tracking server address on', reason);
  }
}

/** The notification that the last token saved does not work, while it is shown. */
let tokenWarning: string | null = null;

/** Ask for an API token and hand it to the Jupyter server, which keeps it. */
async function askToken(): Promise<void> {
  const body = new Widget({ node: document.createElement('div') });
  body.node.innerHTML =
    '<p>The token is kept by the Jupyter server (in a file only you can read), never in the browser.</p>' +
    '<input type="password" class="jp-mod-styled" aria-label="API token" placeholder="API token" style="width:100%">';
  const input = body.node.querySelector('input')!;
  const result = await showDialog({
    title: 'Tracking server token',
    body,
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: 'Forget token' }),
      Dialog.okButton({ label: 'Save' })
    ],
    focusNodeSelector: 'input'
  });
  const label = result.button.label;
  if (label !== 'Save' && label !== 'Forget token') {
    return;
  }
  const token = label === 'Save' ? input.value.trim() : null;
  input.value = '';
  try {
    const settings = await requestAPI<IServerSettings>('settings', {
      method: 'PUT',
      body: JSON.stringify({ token })
    });
    storeChanged.emit();
    if (tokenWarning !== null) {
      Notification.dismiss(tokenWarning); // about the token this one replaces
      tokenWarning = null;
    }
    if (settings.error) {
      tokenWarning = Notification.warning(`Token ${token ? 'saved' : 'forgotten'}, but ${settings.error}`, {
        autoClose: false
      });
    } else {
      Notification.success(
        token
          ? `Token saved on the Jupyter server: nepnb uses the tracking server at ${settings.location}.`
          : settings.store === 'http'
            ? `Token forgotten: nepnb uses $NEPTUNE_API_TOKEN of the Jupyter server (the tracking server at ${settings.location}).`
            : 'Token forgotten: nepnb uses the local store.',
        { autoClose: 4000 }
      );
    }
  } catch (reason) {
    Notification.error(`Could not save the token: ${describeFailure(reason)}`, { autoClose: false });
  }
}

/** Download a checkpoint as an .ipynb file (the browser's session cookie authenticates it). */
function download(checkpointId: string, project: string): void {
  const settings = ServerConnection.makeSettings();
  let url = URLExt.join(settings.baseUrl, API_NAMESPACE, 'checkpoints', checkpointId, 'notebook');
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

export default [plugin, runsPlugin];
