import { requestAPI } from '../../request';
import { ICheckpoint, ICheckpointList, IUploadReply } from '../logic';
import { CheckpointsModel } from '../model';

jest.mock('../../request', () => ({ requestAPI: jest.fn() }));
const request = requestAPI as jest.MockedFunction<typeof requestAPI>;

function checkpoint(id: string, seq: number, runs: string[] = []): ICheckpoint {
  return {
    id,
    project: 'local/default',
    notebook_id: 'nb-1',
    seq,
    parent_id: null,
    path: 'a.ipynb',
    summary: `summary ${seq}`,
    body: null,
    author: 'me',
    created: 1000 + seq,
    runs,
    stats: {}
  };
}

function list(...checkpoints: ICheckpoint[]): ICheckpointList {
  return { path: 'a.ipynb', notebook_id: 'nb-1', checkpoints };
}

/** Resolve pending promises (the model's refresh runs on its own). */
const settle = () => new Promise(resolve => setTimeout(resolve, 0));

beforeEach(() => request.mockReset());

describe('CheckpointsModel', () => {
  it('loads the history of the notebook it follows, newest first', async () => {
    request.mockResolvedValue(list(checkpoint('c1', 1), checkpoint('c2', 2)));
    const model = new CheckpointsModel();
    const states: string[] = [];
    model.changed.connect(() => states.push(model.state));
    model.setPath('a.ipynb');
    await settle();
    expect(request).toHaveBeenCalledWith('checkpoints?path=a.ipynb');
    expect(model.checkpoints.map(c => c.id)).toEqual(['c2', 'c1']);
    expect(model.notebookId).toBe('nb-1');
    expect(states).toEqual(['loading', 'ready']);
  });

  it('finds the history by the id in the live model before the file has it', async () => {
    request.mockResolvedValue(list(checkpoint('c1', 1)));
    const model = new CheckpointsModel();
    model.setPath('a.ipynb', () => 'nb-1');
    await settle();
    expect(request).toHaveBeenCalledWith('checkpoints?notebook_id=nb-1');
    expect(model.checkpoints.map(c => c.id)).toEqual(['c1']);
  });

  it('names the project when one is set', async () => {
    request.mockResolvedValue(list());
    const model = new CheckpointsModel();
    model.project = 'team/vision';
    model.setPath('dir/a b.ipynb');
    await settle();
    expect(request).toHaveBeenLastCalledWith(
      'checkpoints?path=dir%2Fa+b.ipynb&project=team%2Fvision'
    );
  });

  it('ignores an answer for a notebook the user has left', async () => {
    let answerFirst: (value: ICheckpointList) => void = () => undefined;
    request.mockImplementationOnce(
      () => new Promise(resolve => (answerFirst = resolve as typeof answerFirst))
    );
    request.mockResolvedValueOnce({ ...list(checkpoint('b1', 1)), path: 'b.ipynb' });
    const model = new CheckpointsModel();
    model.setPath('a.ipynb');
    model.setPath('b.ipynb');
    await settle();
    answerFirst(list(checkpoint('a1', 1)));
    await settle();
    expect(model.path).toBe('b.ipynb');
    expect(model.checkpoints.map(c => c.id)).toEqual(['b1']);
  });

  it('says why the list could not be loaded', async () => {
    request.mockRejectedValue(new Error('the store is locked'));
    const model = new CheckpointsModel();
    model.setPath('a.ipynb');
    await settle();
    expect(model.state).toBe('error');
    expect(model.error).toBe('the store is locked');
  });

  it('uploads without writing the id into the file, then shows the new checkpoint', async () => {
    request.mockResolvedValue(list(checkpoint('c1', 1)));
    const model = new CheckpointsModel();
    model.setPath('a.ipynb');
    await settle();
    const uploaded: IUploadReply = {
      checkpoint: checkpoint('c2', 2, ['CLS-3']),
      notebook_id: 'nb-1',
      id_assigned: false,
      new_parts: 3
    };
    request.mockResolvedValueOnce(uploaded);
    const reply = await model.upload('a.ipynb', 'Tune lr', '', ['CLS-3']);
    expect(reply.checkpoint.id).toBe('c2');
    const [endpoint, init] = request.mock.calls[request.mock.calls.length - 1];
    expect(endpoint).toBe('checkpoints');
    expect(init?.method).toBe('POST');
    expect(JSON.parse(init?.body as string)).toEqual({
      path: 'a.ipynb',
      message: 'Tune lr',
      body: null,
      runs: ['CLS-3'],
      write_id: false
    });
    request.mockResolvedValueOnce(list(checkpoint('c1', 1), checkpoint('c2', 2, ['CLS-3'])));
    await model.uploaded('a.ipynb', 'c2');
    expect(model.highlighted).toBe('c2');
    expect(model.checkpoints[0].runs).toEqual(['CLS-3']);
  });

  it('keeps at most two selected, drops selections that vanished, and compares in order', async () => {
    request.mockResolvedValue(list(checkpoint('c1', 1), checkpoint('c2', 2), checkpoint('c3', 3)));
    const model = new CheckpointsModel();
    model.setPath('a.ipynb');
    await settle();
    model.toggle('c3');
    expect(model.target()).toEqual({ a: 'c3', b: 'current' });
    model.toggle('c1');
    expect(model.target()).toEqual({ a: 'c1', b: 'c3' });
    request.mockResolvedValue(list(checkpoint('c1', 1)));
    await model.refresh();
    expect(model.selection).toEqual(['c1']);
  });

  it('restores next to the current notebook', async () => {
    request.mockResolvedValue(list(checkpoint('c1', 1)));
    const model = new CheckpointsModel();
    model.setPath('work/a.ipynb');
    await settle();
    request.mockResolvedValueOnce({ path: 'work/a.checkpoint-c1.ipynb' });
    expect(await model.restore('c1')).toBe('work/a.checkpoint-c1.ipynb');
    const [endpoint, init] = request.mock.calls[request.mock.calls.length - 1];
    expect(endpoint).toBe('checkpoints/c1/restore');
    expect(JSON.parse(init?.body as string)).toEqual({ path: 'work/a.ipynb' });
  });
});
