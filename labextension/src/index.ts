import { checkpointsPlugin } from './checkpoints/plugin';
import { kernelPlugin } from './kernel';
import { runsPlugin } from './runs/plugin';
import { settingsPlugin } from './settings';

/**
 * nepnb's JupyterLab plugins: the settings (and the server extension's health), the comm with
 * the kernels and their open runs in the status bar, notebook checkpoints, and the runs.
 */
export default [settingsPlugin, kernelPlugin, checkpointsPlugin, runsPlugin];
