import { requestAPI } from '../../request';
import type { IRunRow, IRunsReply } from '../../api';
import { queryString } from '../../query';
import { RunsModel } from '../model';
import { runRow } from './fixtures';

jest.mock('../../request', () => ({ requestAPI: jest.fn() }));
const request = requestAPI as jest.MockedFunction<typeof requestAPI>;

const run = runRow;

function reply(runs: IRunRow[]): IRunsReply {
  return {
    project: 'ws/proj',
    store: 'local',
    location: '/home/me/.nepnb',
    runs,
    paths: [
      { path: 'metrics/acc', type: 'floatSeries' },
      { path: 'params/lr', type: 'float' }
    ],
    truncated: false
  };
}

beforeEach(() => request.mockReset());

describe('queryString', () => {
  it('leaves out unset and empty parameters and encodes the rest', () => {
    expect(queryString({ a: undefined, b: '' })).toBe('');
    expect(queryString({ project: 'ws/p', buckets: 5 })).toBe('?project=ws%2Fp&buckets=5');
  });
});

describe('RunsModel', () => {
  it('lists the project runs, newest first, and says when it changed', async () => {
    request.mockResolvedValue(
      reply([
        run('P-1', { creation_time: '2026-01-01T00:00:00Z' }),
        run('P-2', { creation_time: '2026-01-03T00:00:00Z' })
      ])
    );
    const model = new RunsModel('ws/proj');
    const changed = jest.fn();
    model.changed.connect(changed);
    await model.refresh();
    expect(request).toHaveBeenCalledWith('runs?project=ws%2Fproj');
    expect(model.runs.map(r => r.id)).toEqual(['P-2', 'P-1']);
    expect(model.resolvedProject).toBe('ws/proj');
    expect(model.floatSeriesPaths).toEqual(['metrics/acc']);
    expect(model.loading).toBe(false);
    expect(changed).toHaveBeenCalled();
  });

  it('asks for the picked columns and sorts by them', async () => {
    request.mockResolvedValue(reply([run('P-1', { columns: { 'metrics/acc': 0.9 } }), run('P-2', { columns: { 'metrics/acc': 0.5 } })]));
    const model = new RunsModel();
    await model.addColumn('metrics/acc');
    expect(request).toHaveBeenLastCalledWith('runs?columns=metrics%2Facc');
    expect(model.columns).toEqual(['metrics/acc']);
    model.sortBy('metrics/acc');
    expect(model.runs.map(r => r.id)).toEqual(['P-2', 'P-1']);
    model.sortBy('metrics/acc');
    expect(model.sort).toEqual({ column: 'metrics/acc', descending: true });
    expect(model.runs.map(r => r.id)).toEqual(['P-1', 'P-2']);
    model.removeColumn('metrics/acc');
    expect(model.sort.column).toBe('creation_time');
  });

  it('asks once more when a column is added while a refresh is on its way', async () => {
    let resolveFirst: (value: IRunsReply) => void = () => undefined;
    request.mockImplementationOnce(() => new Promise(resolve => (resolveFirst = resolve as typeof resolveFirst)));
    request.mockResolvedValue(reply([]));
    const model = new RunsModel();
    const first = model.refresh();
    const second = model.addColumn('params/lr');
    resolveFirst(reply([]));
    await Promise.all([first, second]);
    expect(request.mock.calls.map(call => call[0])).toEqual(['runs', 'runs?columns=params%2Flr']);
  });

  it('filters by text and tags', async () => {
    request.mockResolvedValue(reply([run('P-1', { tags: ['a'] }), run('P-2', { tags: ['a', 'b'] }), run('P-3')]));
    const model = new RunsModel();
    await model.refresh();
    model.addTagFilter('a');
    expect(model.runs.map(r => r.id).sort()).toEqual(['P-1', 'P-2']);
    model.setFilterText('p-2');
    expect(model.runs.map(r => r.id)).toEqual(['P-2']);
    model.removeTagFilter('a');
    model.setFilterText('');
    expect(model.runs).toHaveLength(3);
  });

  it('keeps the selection in order and drops runs no longer listed', async () => {
    request.mockResolvedValueOnce(reply([run('P-1'), run('P-2'), run('P-3')]));
    const model = new RunsModel();
    await model.refresh();
    model.toggleSelected('P-3');
    model.toggleSelected('P-1');
    expect(model.selection).toEqual(['P-3', 'P-1']);
    expect(model.selectedRuns.map(r => r.id)).toEqual(['P-3', 'P-1']);
    model.toggleSelected('P-3');
    expect(model.isSelected('P-3')).toBe(false);
    model.select(['P-2', 'P-3']);
    request.mockResolvedValueOnce(reply([run('P-1'), run('P-2')]));
    await model.refresh();
    expect(model.selection).toEqual(['P-2']);
  });

  it('keeps the last list and reports the error when a refresh fails', async () => {
    request.mockResolvedValueOnce(reply([run('P-1')]));
    const model = new RunsModel();
    await model.refresh();
    request.mockRejectedValueOnce(new Error('server gone'));
    await model.refresh();
    expect(model.error).toBe('server gone');
    expect(model.runs.map(r => r.id)).toEqual(['P-1']);
    request.mockResolvedValueOnce(reply([]));
    await model.refresh();
    expect(model.error).toBeNull();
  });

  it('fetches a run and its series with the request range', async () => {
    request.mockResolvedValue({});
    const model = new RunsModel('ws/proj');
    await model.fetchRun('P-1');
    expect(request).toHaveBeenLastCalledWith('runs/P-1?project=ws%2Fproj');
    await model.fetchSeries({ run: 'P-1', path: 'metrics/acc' }, { xAxis: 'time', buckets: 640, start: 10, end: 20.5 });
    expect(request).toHaveBeenLastCalledWith(
      'runs/P-1/series?project=ws%2Fproj&path=metrics%2Facc&buckets=640&x=time&start=10&end=20.5'
    );
    await model.fetchRun('O-1', 'other/proj');
    expect(request).toHaveBeenLastCalledWith('runs/O-1?project=other%2Fproj');
    await model.fetchSeries({ run: 'O-1', path: 'm', project: 'other/proj' }, { xAxis: 'step', buckets: 10 });
    expect(request).toHaveBeenLastCalledWith('runs/O-1/series?project=other%2Fproj&path=m&buckets=10&x=step');
  });

  it('polls until stopped', async () => {
    jest.useFakeTimers();
    try {
      request.mockResolvedValue(reply([]));
      const model = new RunsModel();
      model.startPolling(1000);
      await Promise.resolve();
      expect(request).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(3000);
      expect(request).toHaveBeenCalledTimes(4);
      model.stopPolling();
      await jest.advanceTimersByTimeAsync(3000);
      expect(request).toHaveBeenCalledTimes(4);
      model.dispose();
    } finally {
      jest.useRealTimers();
    }
  });
});
