/**
 * The shapes of the nepnb server extension's replies (`/nepnb/api/…`, nepnb/jupyter) and of
 * what a kernel's nepnb session reports over its comm. Types only: no code.
 */

/** What `GET /nepnb/api/health` answers. */
export interface IHealth {
  /** The nepnb version of the server extension. */
  version: string;
  /** Which kind of store the server extension uses: "local" or "http". */
  store: string;
  /** Where the store is: a folder for the local store, a URL otherwise. */
  location: string;
  /** The project used when a request names none. */
  project: string;
}

/** A run open in a notebook's kernel, as the kernel's nepnb session reports it. */
export interface IOpenRun {
  /** The run's sys/id. */
  id: string;
  /** Its sys/name (null when it has none). */
  name?: string | null;
  /** Its project, e.g. "local/default". */
  project: string;
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
  /** That threshold in seconds (0: never warn). */
  idle_limit: number;
  /** Writes not yet in the store. */
  queued: number;
  /** Its mode: async, sync, offline or debug. */
  mode: string;
  /** The checkpoint linked to it, if any. */
  checkpoint: string | null;
}

/* ---- The runs API of the server extension (nepnb/jupyter/runs.py) ---- */

/** A column value: JSON scalars; datetimes as ISO strings; float series as their last value. */
export type CellValue = string | number | boolean | null | string[];

/** One row of `GET /nepnb/api/runs`. */
export interface IRunRow {
  /** sys/id, e.g. "CLS-12". */
  id: string;
  name: string;
  /** "running" or "inactive". */
  state: string;
  tags: string[];
  /** ISO 8601. */
  creation_time: string;
  owner: string;
  failed: boolean;
  /** True when the run was found abandoned by a dead process (sys/crashed). */
  crashed: boolean;
  /** The values of the columns asked for with `?columns=`, by path. */
  columns: Record<string, CellValue>;
}

/** A field path of the project's runs and its type (for the column picker). */
export interface IFieldPath {
  path: string;
  /** The field type name, e.g. "float", "floatSeries", "string", "stringSet". */
  type: string;
}

/** `GET /nepnb/api/runs?project=&query=&columns=a,b&tags=t1,t2&limit=`. */
export interface IRunsReply {
  project: string;
  /** Where the runs are: 'local' (the store folder `location`) or 'http' (the tracking
   * server at `location`). */
  store: string;
  location: string;
  runs: IRunRow[];
  /** Every field path of the listed runs (sys/ paths included), for the column picker. */
  paths: IFieldPath[];
  /** True when `limit` cut the list. */
  truncated: boolean;
}

/** One field of a run, in `GET /nepnb/api/runs/<id>`. */
export interface IRunField {
  path: string;
  type: string;
  /** Atoms: the value; series: the last value; files: name and size; sets: the list. */
  value: CellValue;
  /** Series only: how many points, and the step range. */
  count?: number;
  first_step?: number | null;
  last_step?: number | null;
}

/** `GET /nepnb/api/runs/<id>?project=`. */
export interface IRunDetail {
  project: string;
  id: string;
  name: string;
  state: string;
  fields: IRunField[];
}

/**
 * `GET /nepnb/api/runs/<id>/series?path=&buckets=&x=step|time&start=&end=`:
 * a float series downsampled to at most `buckets` buckets of the x range.
 * All arrays have one entry per bucket (or per point when `exact`); non-finite values are null.
 */
export interface ISeriesBuckets {
  run: string;
  path: string;
  /** "step" or "time" (seconds since the epoch). */
  x_axis: string;
  /** The x of each bucket's last point. */
  x: number[];
  min: (number | null)[];
  max: (number | null)[];
  /** The value of each bucket's last point. */
  last: (number | null)[];
  /** Points in each bucket. */
  count: number[];
  /** Points in the asked range; and in the whole series. */
  in_range: number;
  total: number;
  /** The x range of the whole series, [first, last] (null when empty). */
  extent: [number, number] | null;
  /** True when every point of the range is here as is (no more than `buckets` points). */
  exact: boolean;
}

/** `GET /nepnb/api/settings`: what the server extension uses. The token never leaves it. */
export interface IServerSettings {
  project: string;
  server_url: string;
  /** A token is in the settings (set with the command). */
  has_token: boolean;
  /** No token in the settings, but $NEPTUNE_API_TOKEN in the Jupyter server's environment. */
  token_from_environment: boolean;
  /** The store in use: 'local', or 'http' (the tracking server at `location`). */
  store: string;
  location: string;
  /** Who signs checkpoints, from the UI and the kernel alike (settings, else git, else login). */
  author: string;
  projects: string[];
  /** Why the projects could not be listed (a refused token, an unreachable server), or null. */
  error: string | null;
}
