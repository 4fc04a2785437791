import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

import type { IHealth } from './api';
import type { KernelBridge } from './kernelbridge';

/** The id of the settings plugin, which is also the id of nepnb's settings (schema/plugin.json). */
export const SETTINGS_PLUGIN_ID = 'nepnb:plugin';

/** What the settings plugin offers the others: the settings and the server extension's health. */
export interface INepnbSettings {
  /** The project the settings name ('' until loaded, or when they name none). */
  readonly project: string;
  /** Emitted when the settings are loaded or changed. */
  readonly changed: ISignal<INepnbSettings, void>;
  /** The server extension's health once it answered; null when it did not answer. */
  readonly health: Promise<IHealth | null>;
}

/** The settings and the server extension's health. */
export const INepnbSettings = new Token<INepnbSettings>(
  'nepnb:INepnbSettings',
  'nepnb settings (project, tracking server) and the server extension health.'
);

/** The comm with the notebooks' kernels: their open runs, and the live model sent to them. */
export type IKernelBridge = KernelBridge;

/** The comm with the notebooks' kernels. */
export const IKernelBridge = new Token<KernelBridge>(
  'nepnb:IKernelBridge',
  'The comm between JupyterLab and the nepnb session of each notebook kernel.'
);
