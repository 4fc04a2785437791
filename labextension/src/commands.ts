/** The ids of nepnb's commands. */
export namespace CommandIDs {
  export const uploadCheckpoint = 'nepnb:upload-checkpoint';
  export const showCheckpoints = 'nepnb:show-checkpoints';
  export const compareCheckpoints = 'nepnb:compare-checkpoints';
  export const restoreCheckpoint = 'nepnb:restore-checkpoint';
  export const setToken = 'nepnb:set-token';
  export const openRuns = 'nepnb:open-runs';
  export const openRunsTable = 'nepnb:open-runs-table';
  export const openRun = 'nepnb:open-run';
  export const compareRuns = 'nepnb:compare-runs';
}

/** The one palette category of every nepnb command. */
export const PALETTE_CATEGORY = 'nepnb';
