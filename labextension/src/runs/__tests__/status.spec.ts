import type { IRunDetail, IRunRow } from '../../api';
import { runStatus, runStatusOf } from '../status';

function row(patch: Partial<IRunRow>): IRunRow {
  return { id: 'R-1', name: '', state: 'inactive', tags: [], creation_time: '', owner: '', failed: false, crashed: false, columns: {}, ...patch };
}

describe('run status', () => {
  it('says crashed over failed over running', () => {
    expect(runStatus(row({ state: 'running' }))).toBe('running');
    expect(runStatus(row({}))).toBe('inactive');
    expect(runStatus(row({ state: 'running', failed: true }))).toBe('failed');
    expect(runStatus(row({ failed: true, crashed: true }))).toBe('crashed');
  });

  it('reads failed and crashed from a detail sys fields', () => {
    const detail = (fields: IRunDetail['fields'], state = 'inactive'): IRunDetail => ({ project: 'p', id: 'R-1', name: '', state, fields });
    expect(runStatusOf(detail([], 'running'))).toBe('running');
    expect(runStatusOf(detail([{ path: 'sys/failed', type: 'bool', value: true }]))).toBe('failed');
    expect(runStatusOf(detail([{ path: 'sys/failed', type: 'bool', value: false }]))).toBe('inactive');
    expect(runStatusOf(detail([{ path: 'sys/crashed', type: 'bool', value: true }]))).toBe('crashed');
  });
});
