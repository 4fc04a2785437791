import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification, showDialog } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IHealth, IServerSettings } from './api';
import { describeFailure } from './checkpoints/upload';
import { CommandIDs, PALETTE_CATEGORY } from './commands';
import { requestAPI, storeChanged } from './request';
import { INepnbSettings, SETTINGS_PLUGIN_ID } from './tokens';

/**
 * nepnb's settings: it checks that the server extension answers, passes the tracking server
 * address and the checkpoint author of the settings on to it, offers the command that sets the server's token, and
 * tells the other plugins the settings' project.
 *
 * It marks the page (`data-nepnb-activated` on `<body>`) so that users and tests can see at
 * a glance that the extension is live.
 */
export const settingsPlugin: JupyterFrontEndPlugin<INepnbSettings> = {
  id: SETTINGS_PLUGIN_ID,
  description: 'nepnb: the settings (project, tracking server and its token, checkpoint author).',
  autoStart: true,
  provides: INepnbSettings,
  optional: [ISettingRegistry, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null
  ): INepnbSettings => {
    document.body.dataset.nepnbActivated = 'true';
    const settings = new NepnbSettings(checkHealth());

    app.commands.addCommand(CommandIDs.setToken, {
      label: 'nepnb: Set the tracking server token…',
      caption: 'Keep an API token for the tracking server on the Jupyter server (never in the browser)',
      execute: () => askToken()
    });
    palette?.addItem({ command: CommandIDs.setToken, category: PALETTE_CATEGORY });

    if (settingRegistry) {
      void settingRegistry
        .load(SETTINGS_PLUGIN_ID)
        .then(loaded => {
          const apply = () => {
            settings.update((loaded.get('project').composite as string) || '');
            void pushSetting('server_url', loaded.get('serverUrl').composite as string);
            void pushSetting('author', (loaded.get('author').composite as string) || '');
          };
          apply();
          loaded.changed.connect(apply);
        })
        .catch(reason => console.warn('nepnb: could not load the settings', reason));
    }
    return settings;
  }
};

/** The settings as the other plugins see them. */
class NepnbSettings implements INepnbSettings {
  constructor(readonly health: Promise<IHealth | null>) {}

  get project(): string {
    return this._project;
  }

  get changed(): ISignal<INepnbSettings, void> {
    return this._changed;
  }

  /** Take the settings' project, and tell the plugins. */
  update(project: string): void {
    this._project = project;
    this._changed.emit();
  }

  private _project = '';
  private readonly _changed = new Signal<INepnbSettings, void>(this);
}

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

/** The values last passed on to the server extension, by setting. */
const pushed = new Map<string, string>();

/** Pass a setting the Jupyter server keeps (the tracking server address, the checkpoint
 * author) on to the server extension, when it changed. */
async function pushSetting(key: 'server_url' | 'author', value: string): Promise<void> {
  if (pushed.get(key) === value) {
    return;
  }
  pushed.set(key, value);
  try {
    await requestAPI<IServerSettings>('settings', {
      method: 'PUT',
      body: JSON.stringify({ [key]: value })
    });
    if (key === 'server_url') {
      storeChanged.emit();
    }
  } catch (reason) {
    pushed.delete(key);
    console.warn(`nepnb: could not pass the setting ${key} on`, reason);
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
