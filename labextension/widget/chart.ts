/**
 * Entry of the inline-chart widget bundle (nepnb/widgets/static/chart.js).
 *
 * The anywidget front end comes with a later task; until then the bundle
 * carries the chart component, which proves it builds without JupyterLab.
 */
export { SeriesChart } from '../src/chart';
