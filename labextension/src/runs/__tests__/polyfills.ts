/** What jsdom lacks and Lumino's widgets or uPlot need at import time; import this first. */
const global = globalThis as any;
if (typeof global.DragEvent === 'undefined') {
  global.DragEvent = class DragEvent extends MouseEvent {};
}
if (typeof global.matchMedia === 'undefined') {
  global.matchMedia = () => ({
    matches: false,
    addListener: () => undefined,
    removeListener: () => undefined,
    addEventListener: () => undefined,
    removeEventListener: () => undefined
  });
}
export {};
