import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { INotebookTracker } from '@jupyterlab/notebook';

import { KernelBridge } from './kernelbridge';
import { requestAPI } from './request';
import { IHealth, PLUGIN_ID } from './tokens';

/**
 * The main nepnb plugin: checks that the server extension answers.
 *
 * It marks the page (`data-nepnb-activated` on `<body>`) so that users and
 * tests can see at a glance that the extension is live.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'nepnb: notebook checkpoints and experiment tracking.',
  autoStart: true,
  optional: [INotebookTracker],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null
  ): Promise<void> => {
    if (tracker) {
      new KernelBridge(tracker);
    }
    document.body.dataset.nepnbActivated = 'true';
    try {
      const health = await requestAPI<IHealth>('health');
      document.body.dataset.nepnbStore = health.location;
      console.log(
        `nepnb ${health.version} is active (${health.store} store at ${health.location})`
      );
    } catch (reason) {
      document.body.dataset.nepnbStore = '';
      console.error(
        'nepnb: the server extension did not answer; is it enabled? ' +
          '(jupyter server extension list)',
        reason
      );
    }
  }
};

export default plugin;
