/** What `GET /nepnb/api/health` answers. */
export interface IHealth {
  /** The nepnb version of the server extension. */
  version: string;
  /** Which kind of store the server extension uses: "local" or "http". */
  store: string;
  /** Where the store is: a folder for the local store, a URL otherwise. */
  location: string;
}

/** The id of the main plugin. */
export const PLUGIN_ID = 'nepnb:plugin';

/** A run open in a notebook's kernel, as the kernel's nepnb session reports it. */
export interface IOpenRun {
  /** The run's sys/id. */
  id: string;
  /** The variables bound to it in the kernel. */
  variables: string[];
  /** When it was opened (seconds since the epoch). */
  opened: number;
  /** Seconds since it was opened. */
  age: number;
  /** When the user last wrote to it (seconds since the epoch). */
  last_activity: number;
  /** Seconds since then. */
  idle: number;
  /** True when it has been idle past the kernel's threshold. */
  hanging: boolean;
  /** Writes not yet in the store. */
  queued: number;
  /** Its mode: async, sync, offline or debug. */
  mode: string;
  /** The checkpoint linked to it, if any. */
  checkpoint: string | null;
}
