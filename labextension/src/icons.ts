import { LabIcon } from '@jupyterlab/ui-components';

/** A flag on a pole: a checkpoint of a notebook. */
export const checkpointIcon = new LabIcon({
  name: 'nepnb:checkpoint',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M5 2h2v20H5z"/><path d="M8 3h11l-2.5 4L19 11H8z"/>' +
    '</g></svg>'
});

/** Three rising lines: the runs of a project. */
export const runsIcon = new LabIcon({
  name: 'nepnb:runs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="none" stroke="#616161" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">' +
    '<path d="M3 20h18"/><path d="M4 16l5-5 4 3 7-8"/><path d="M4 12l5-2 4 1 7-4" opacity=".5"/>' +
    '</g></svg>'
});
