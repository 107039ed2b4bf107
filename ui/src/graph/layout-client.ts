import type { LayoutInput, LayoutResult } from './layout';

let worker: Worker | undefined;
let seq = 0;
const waiting = new Map<number, (r: LayoutResult) => void>();

/** Lay a graph out in the shared worker (falls back to the main thread if workers are unavailable). */
export async function layoutInWorker(input: LayoutInput): Promise<LayoutResult> {
  if (!worker) {
    try {
      worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (e: MessageEvent<{ id: number; result: LayoutResult }>) => {
        waiting.get(e.data.id)?.(e.data.result);
        waiting.delete(e.data.id);
      };
    } catch {
      const { layout } = await import('./layout');
      return layout(input);
    }
  }
  const id = ++seq;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    worker!.postMessage({ id, input }, [input.edges.buffer, input.widths.buffer]);
  });
}
