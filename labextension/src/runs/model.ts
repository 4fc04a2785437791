import { ISignal, Signal } from '@lumino/signaling';

import type { ISeriesRequest } from '../chart/types';
import { queryString } from '../query';
import { requestAPI } from '../request';
import type { IFieldPath, IRunDetail, IRunRow, IRunsReply, ISeriesBuckets } from '../api';
import { filterRuns, IRunsFilter, IRunsSort, sortRuns } from './filter';
import type { IRunSeriesRef, ISeriesFetcher } from './series';

/** How often a visible runs panel asks for the runs again. */
export const POLL_INTERVAL_MS = 10_000;

/**
 * The runs of a project as the runs panel shows them: the server's list,
 * the filter, the sort, the picked columns and the selection.
 *
 * The only caller of the runs API; `changed` fires after any change.
 */
export class RunsModel implements ISeriesFetcher {
  constructor(project = '') {
    this._project = project;
  }

  /** Fires when the list, the view or the selection changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The project asked for ('' for the server's default). */
  get project(): string {
    return this._project;
  }

  set project(project: string) {
    if (project !== this._project) {
      this._project = project;
      this._reply = null;
      this._selection.clear();
      void this.refresh();
    }
  }

  /** The project the server answered for (the default resolved). */
  get resolvedProject(): string {
    return this._reply?.project ?? this._project;
  }

  /** Where the last list came from: "the tracking server URL" or "the local store PATH". */
  get source(): string {
    const reply = this._reply;
    if (!reply?.location) {
      return '';
    }
    return reply.store === 'http'
      ? `the tracking server ${reply.location}`
      : `the local store ${reply.location}`;
  }

  /** The tracking server's host (host:port) when the runs come from one, else ''. */
  get serverHost(): string {
    const reply = this._reply;
    if (reply?.store !== 'http' || !reply.location) {
      return '';
    }
    try {
      return new URL(reply.location).host;
    } catch {
      return reply.location;
    }
  }

  get loading(): boolean {
    return this._loading;
  }

  /** The message of the last failed refresh, null after a good one. */
  get error(): string | null {
    return this._error;
  }

  /** Every run the server listed. */
  get allRuns(): readonly IRunRow[] {
    return this._reply?.runs ?? [];
  }

  /** True when the server cut the list at its limit. */
  get truncated(): boolean {
    return this._reply?.truncated ?? false;
  }

  /** The runs to show: filtered, then sorted. */
  get runs(): IRunRow[] {
    return sortRuns(filterRuns(this.allRuns, this._filter), this._sort);
  }

  /** Field paths of the listed runs, for the column picker. */
  get paths(): readonly IFieldPath[] {
    return this._reply?.paths ?? [];
  }

  /** Paths of the float series of the listed runs. */
  get floatSeriesPaths(): string[] {
    return this.paths.filter(p => p.type === 'floatSeries').map(p => p.path);
  }

  get filter(): IRunsFilter {
    return { text: this._filter.text, tags: this._filter.tags.slice() };
  }

  setFilterText(text: string): void {
    if (text !== this._filter.text) {
      this._filter = { ...this._filter, text };
      this._changed.emit();
    }
  }

  addTagFilter(tag: string): void {
    if (!this._filter.tags.includes(tag)) {
      this._filter = { ...this._filter, tags: [...this._filter.tags, tag] };
      this._changed.emit();
    }
  }

  removeTagFilter(tag: string): void {
    this._filter = { ...this._filter, tags: this._filter.tags.filter(t => t !== tag) };
    this._changed.emit();
  }

  get sort(): IRunsSort {
    return { ...this._sort };
  }

  /** Sort by a column; asked again for the same column, the direction flips. */
  sortBy(column: string): void {
    this._sort =
      this._sort.column === column
        ? { column, descending: !this._sort.descending }
        : { column, descending: false };
    this._changed.emit();
  }

  /** The field paths shown as columns after the built-in ones. */
  get columns(): readonly string[] {
    return this._columns;
  }

  /** Show a field path as a column (fetches the runs again for its values). */
  addColumn(path: string): Promise<void> {
    if (this._columns.includes(path)) {
      return Promise.resolve();
    }
    this._columns = [...this._columns, path];
    this._changed.emit();
    return this.refresh();
  }

  removeColumn(path: string): void {
    this._columns = this._columns.filter(c => c !== path);
    if (this._sort.column === path) {
      this._sort = { column: 'creation_time', descending: true };
    }
    this._changed.emit();
  }

  /** Ids of the selected runs, in the order they were selected. */
  get selection(): string[] {
    return [...this._selection];
  }

  isSelected(id: string): boolean {
    return this._selection.has(id);
  }

  /** Add a run to the selection or take it out (`selected` forces which). */
  toggleSelected(id: string, selected = !this._selection.has(id)): void {
    if (selected === this._selection.has(id)) {
      return;
    }
    if (selected) {
      this._selection.add(id);
    } else {
      this._selection.delete(id);
    }
    this._changed.emit();
  }

  /** Select exactly these runs. */
  select(ids: readonly string[]): void {
    this._selection = new Set(ids);
    this._changed.emit();
  }

  /** The selected runs still listed. */
  get selectedRuns(): IRunRow[] {
    const byId = new Map(this.allRuns.map(run => [run.id, run]));
    return this.selection.flatMap(id => byId.get(id) ?? []);
  }

  /**
   * Ask the server for the runs again. Asked while a request is on its way,
   * one more follows it (the columns may have changed meanwhile).
   */
  refresh(): Promise<void> {
    if (this._pending) {
      this._again = true;
      return this._pending;
    }
    this._pending = (async () => {
      do {
        this._again = false;
        await this.load();
      } while (this._again);
    })().finally(() => {
      this._pending = null;
    });
    return this._pending;
  }

  /** Refresh every `intervalMs` until `stopPolling`; a first refresh starts now. */
  startPolling(intervalMs = POLL_INTERVAL_MS): void {
    this.stopPolling();
    void this.refresh();
    this._poll = window.setInterval(() => void this.refresh(), intervalMs);
  }

  stopPolling(): void {
    if (this._poll !== undefined) {
      window.clearInterval(this._poll);
      this._poll = undefined;
    }
  }

  /** One run with all its fields (of the model's project unless another is named). */
  fetchRun(id: string, project = this._project): Promise<IRunDetail> {
    const query = queryString({ project });
    return requestAPI<IRunDetail>(`runs/${encodeURIComponent(id)}${query}`);
  }

  /** A float series of a run, downsampled to the request's bucket count. */
  fetchSeries(ref: IRunSeriesRef, request: ISeriesRequest): Promise<ISeriesBuckets> {
    const query = queryString({
      project: ref.project ?? this._project,
      path: ref.path,
      buckets: request.buckets,
      x: request.xAxis,
      start: request.start,
      end: request.end
    });
    return requestAPI<ISeriesBuckets>(`runs/${encodeURIComponent(ref.run)}/series${query}`);
  }

  dispose(): void {
    this.stopPolling();
    Signal.clearData(this);
  }

  private async load(): Promise<void> {
    this._loading = true;
    this._changed.emit();
    const query = queryString({ project: this._project, columns: this._columns.join(',') });
    try {
      this._reply = await requestAPI<IRunsReply>(`runs${query}`);
      this._error = null;
      const listed = new Set(this._reply.runs.map(run => run.id));
      this._selection = new Set([...this._selection].filter(id => listed.has(id)));
    } catch (reason) {
      this._error = (reason as Error).message ?? String(reason);
    } finally {
      this._loading = false;
      this._changed.emit();
    }
  }

  private _project: string;
  private _reply: IRunsReply | null = null;
  private _loading = false;
  private _error: string | null = null;
  private _filter: IRunsFilter = { text: '', tags: [] };
  private _sort: IRunsSort = { column: 'creation_time', descending: true };
  private _columns: string[] = [];
  private _selection = new Set<string>();
  private _pending: Promise<void> | null = null;
  private _again = false;
  private _poll: number | undefined;
  private readonly _changed = new Signal<this, void>(this);
}
