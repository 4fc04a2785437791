import type { IRunDetail, IRunRow } from '../api';

/** What a run's state badge says. */
export type RunStatus = 'running' | 'failed' | 'crashed' | 'inactive';

/** Hover text of each badge. */
export const STATUS_TITLES: Record<RunStatus, string> = {
  running: 'Running: a process is logging to it',
  failed: 'Failed: an uncaught exception ended it (sys/failed)',
  crashed: 'Crashed: its process died without closing it (sys/crashed)',
  inactive: 'Inactive: closed'
};

function status(state: string, failed: boolean, crashed: boolean): RunStatus {
  if (crashed) {
    return 'crashed';
  }
  if (failed) {
    return 'failed';
  }
  return state === 'running' ? 'running' : 'inactive';
}

/** The badge of a row of the runs list. */
export function runStatus(run: IRunRow): RunStatus {
  return status(run.state, run.failed, run.crashed);
}

/** The badge of a run's detail (failed and crashed read from its sys/ fields). */
export function runStatusOf(detail: IRunDetail): RunStatus {
  const flag = (path: string) => detail.fields.some(f => f.path === path && f.value === true);
  return status(detail.state, flag('sys/failed'), flag('sys/crashed'));
}
