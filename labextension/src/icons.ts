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
