/** What jsdom lacks and Lumino's widgets need at import time; import this first. */
if (typeof (globalThis as any).DragEvent === 'undefined') {
  (globalThis as any).DragEvent = class DragEvent extends MouseEvent {};
}
export {};
