import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';

import { KernelBridge } from './kernelbridge';
import { OpenRunsItem } from './statusbar';
import { IKernelBridge } from './tokens';

/**
 * The comm with each notebook's kernel (the live model sent before a cell that opens a run, the
 * open runs reported after each cell) and the status bar item that shows those runs.
 */
export const kernelPlugin: JupyterFrontEndPlugin<KernelBridge> = {
  id: 'nepnb:kernel',
  description: 'nepnb: the comm with the notebook kernels and their open runs in the status bar.',
  autoStart: true,
  provides: IKernelBridge,
  requires: [INotebookTracker],
  optional: [IStatusBar],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    statusBar: IStatusBar | null
  ): KernelBridge => {
    const bridge = new KernelBridge(tracker);
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
      void app.restored.then(() => {
        const notebook = tracker.currentWidget;
        notebook?.toolbar.addItem('nepnb-open-runs', item);
      });
    }
    return bridge;
  }
};
