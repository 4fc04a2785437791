import type { IRunRow } from '../../api';

/** A row of the runs table as the server sends it; `patch` overrides any field. */
export function runRow(id: string, patch: Partial<IRunRow> = {}): IRunRow {
  return {
    id,
    name: id.toLowerCase(),
    state: 'inactive',
    tags: [],
    creation_time: '2026-01-01T00:00:00Z',
    owner: 'me',
    failed: false,
    crashed: false,
    columns: {},
    ...patch
  };
}
