// The layout runs here, off the main thread: a 2,000-node graph never blocks scrolling or input.
import { type LayoutInput, layout } from './layout';

self.onmessage = (e: MessageEvent<{ id: number; input: LayoutInput }>) => {
  const { id, input } = e.data;
  const r = layout(input);
  (self as unknown as Worker).postMessage({ id, result: r }, [r.x.buffer, r.y.buffer]);
};
