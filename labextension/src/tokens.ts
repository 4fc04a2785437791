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
