import '../../runs/__tests__/polyfills';
import { Widget } from '@lumino/widgets';
import { requestAPI } from '../../request';
import { ICheckpointList } from '../logic';
import { CheckpointsModel } from '../model';
import { CheckpointsPanel, RETRY_MS } from '../panel';

jest.mock('../../request', () => ({ requestAPI: jest.fn() }));
jest.mock('../../icons', () => ({ checkpointIcon: undefined }));
const request = requestAPI as jest.MockedFunction<typeof requestAPI>;

const EMPTY: ICheckpointList = { path: 'a.ipynb', notebook_id: 'nb-1', checkpoints: [] };
const actions = { upload: jest.fn(), compare: jest.fn(), restore: jest.fn(), download: jest.fn() };

/** Let the model's pending request settle (fake timers leave promises alone). */
const settle = async () => {
  for (let i = 0; i < 5; i++) {
    await Promise.resolve();
  }
};

beforeEach(() => {
  request.mockReset();
  jest.useFakeTimers();
});
afterEach(() => jest.useRealTimers());

describe('CheckpointsPanel', () => {
  it('tries again while the list cannot be loaded, and recovers by itself', async () => {
    const down = 'cannot reach the tracking server at http://track:8765';
    request.mockRejectedValue(new Error(down));
    const panel = new CheckpointsPanel(new CheckpointsModel(), actions);
    Widget.attach(panel, document.body);
    panel.model.setPath('a.ipynb');
    await settle();
    const hint = panel.node.querySelector('.nepnb-Panel-hint')!;
    expect(hint.textContent).toBe(`Could not load the checkpoints: ${down}`);

    jest.advanceTimersByTime(RETRY_MS);
    await settle();
    expect(request).toHaveBeenCalledTimes(2);
    expect(panel.model.state).toBe('error');

    request.mockResolvedValue(EMPTY);
    jest.advanceTimersByTime(RETRY_MS);
    await settle();
    expect(panel.model.state).toBe('ready');
    expect(hint.textContent).toMatch(/^No checkpoints yet/);
    jest.advanceTimersByTime(3 * RETRY_MS);
    expect(request).toHaveBeenCalledTimes(3); // no retry once loaded
    panel.dispose();
  });

  it('does not retry while hidden', async () => {
    request.mockRejectedValue(new Error('refused'));
    const panel = new CheckpointsPanel(new CheckpointsModel(), actions);
    panel.model.setPath('a.ipynb'); // never attached: not visible
    await settle();
    jest.advanceTimersByTime(3 * RETRY_MS);
    expect(request).toHaveBeenCalledTimes(1);
    panel.dispose();
  });
});
