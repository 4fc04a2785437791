import { runsNow, statusText } from '../openruns';
import { IOpenRun } from '../api';

function run(id: string, idle: number, extra: Partial<IOpenRun> = {}): IOpenRun {
  return {
    id,
    project: 'local/default',
    variables: ['run'],
    opened: 0,
    age: idle,
    last_activity: 0,
    idle,
    hanging: false,
    idle_limit: 1800,
    queued: 0,
    mode: 'async',
    checkpoint: null,
    ...extra
  };
}

describe('open runs', () => {
  it('ages runs while the kernel is idle and flags them past the limit', () => {
    const [now] = runsNow([run('CLS-1', 1700)], 1000, 1000 + 150, false);
    expect(now.idleNow).toBe(1850);
    expect(now.hangingNow).toBe(true);
  });

  it('does not flag a run while a cell is running', () => {
    const [now] = runsNow([run('CLS-1', 1700)], 1000, 1000 + 3600, true);
    expect(now.idleNow).toBe(1700);
    expect(now.hangingNow).toBe(false);
  });

  it('keeps the kernel verdict and respects a disabled limit', () => {
    expect(runsNow([run('A', 5, { hanging: true })], 0, 0, false)[0].hangingNow).toBe(true);
    expect(runsNow([run('B', 1e6, { idle_limit: 0 })], 0, 10, false)[0].hangingNow).toBe(false);
  });

  it('says what is open', () => {
    expect(statusText([])).toBe('nepnb: no open runs');
    expect(statusText(runsNow([run('CLS-1', 1)], 0, 0, false))).toBe('nepnb: CLS-1 open');
    expect(statusText(runsNow([run('A', 1), run('B', 4000)], 0, 0, false))).toBe(
      'nepnb: 2 runs open · 1 hanging'
    );
  });
});
