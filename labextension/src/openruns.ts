/** The open runs of a kernel as the status bar shows them (pure logic, jest-tested). */

import { IOpenRun } from './api';

/** An open run with its idle time brought up to now. */
export interface IRunNow extends IOpenRun {
  /** Seconds idle now. */
  idleNow: number;
  /** Hanging now: idle past the kernel's limit while the kernel is not running a cell. */
  hangingNow: boolean;
}

/**
 * Bring the kernel's last report up to `now`: a report is sent after each cell, so while the
 * kernel sits idle the runs keep ageing here. While a cell runs (`kernelBusy`) nothing is
 * extrapolated: a training loop that logs is not hanging.
 */
export function runsNow(
  runs: IOpenRun[],
  receivedAt: number,
  now: number,
  kernelBusy: boolean
): IRunNow[] {
  const elapsed = kernelBusy ? 0 : Math.max(0, now - receivedAt);
  return runs.map(run => {
    const idleNow = run.idle + elapsed;
    const limit = run.idle_limit ?? 0;
    return {
      ...run,
      idleNow,
      hangingNow: run.hanging || (limit > 0 && idleNow >= limit)
    };
  });
}

/** The status bar text: "nepnb: no open runs", "nepnb: CLS-3 open", "nepnb: 2 runs open · 1 hanging". */
export function statusText(runs: IRunNow[]): string {
  if (!runs.length) {
    return 'nepnb: no open runs';
  }
  const hanging = runs.filter(r => r.hangingNow).length;
  const open = runs.length === 1 ? `${runs[0].id} open` : `${runs.length} runs open`;
  return `nepnb: ${open}${hanging ? ` · ${hanging} hanging` : ''}`;
}
