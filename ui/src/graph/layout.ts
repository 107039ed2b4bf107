// A layered ("Sugiyama-lite") layout, pure and allocation-light so it runs in a Web Worker:
//   1. longest-path layering (Kahn's topological order; a cycle's leftovers go below everything),
//   2. crossing reduction by barycenter sweeps (down, up, down),
//   3. very wide layers wrap into several rows (a 2,000-way fan-out stays readable),
//   4. x placement: each node at its parents' mean x, then pushed apart to the minimum gap and the
//      row re-centred on its desired positions.
// Nodes are indices 0..n-1; edges are pairs in a flat Int32Array [from0, to0, from1, to1, ...].
export interface LayoutInput {
  n: number;
  edges: Int32Array;
  /** Node widths (all rows are the same height). */
  widths: Float32Array;
  nodeHeight: number;
  hGap: number;
  vGap: number;
  maxPerRow: number;
}
export interface LayoutResult {
  x: Float32Array;
  y: Float32Array;
  width: number;
  height: number;
  rows: number;
  ms: number;
}

export function layout(inp: LayoutInput): LayoutResult {
  const t0 = performance.now();
  const { n, edges, widths, nodeHeight, hGap, vGap } = inp;
  const m = edges.length >> 1;
  // CSR adjacency, both directions.
  const outDeg = new Int32Array(n + 1);
  const inDeg = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) {
    outDeg[edges[2 * e] + 1]++;
    inDeg[edges[2 * e + 1] + 1]++;
  }
  for (let i = 0; i < n; i++) {
    outDeg[i + 1] += outDeg[i];
    inDeg[i + 1] += inDeg[i];
  }
  const outAdj = new Int32Array(m);
  const inAdj = new Int32Array(m);
  const oFill = outDeg.slice(0, n);
  const iFill = inDeg.slice(0, n);
  for (let e = 0; e < m; e++) {
    const a = edges[2 * e];
    const b = edges[2 * e + 1];
    outAdj[oFill[a]++] = b;
    inAdj[iFill[b]++] = a;
  }

  // 1. longest-path layering.
  const layer = new Int32Array(n);
  const pending = new Int32Array(n);
  for (let i = 0; i < n; i++) pending[i] = inDeg[i + 1] - inDeg[i];
  const queue = new Int32Array(n);
  let qh = 0;
  let qt = 0;
  for (let i = 0; i < n; i++) if (pending[i] === 0) queue[qt++] = i;
  while (qh < qt) {
    const v = queue[qh++];
    for (let k = outDeg[v]; k < outDeg[v + 1]; k++) {
      const w = outAdj[k];
      if (layer[v] + 1 > layer[w]) layer[w] = layer[v] + 1;
      if (--pending[w] === 0) queue[qt++] = w;
    }
  }
  let maxLayer = 0;
  for (let i = 0; i < n; i++) if (layer[i] > maxLayer) maxLayer = layer[i];
  if (qt < n) {
    // A cycle (should not happen in a workflow): put what is left in one extra layer.
    maxLayer++;
    for (let i = 0; i < n; i++) if (pending[i] > 0) layer[i] = maxLayer;
  }
  const L = maxLayer + 1;

  // Initial order within each layer: topological (discovery) order, which keeps siblings together.
  const layers: number[][] = Array.from({ length: L }, () => []);
  const order = qt === n ? queue : Int32Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < n; k++) layers[layer[order[k]]].push(order[k]);
  const pos = new Float64Array(n);
  const setPos = (row: number[]) => {
    for (let i = 0; i < row.length; i++) pos[row[i]] = row.length > 1 ? i / (row.length - 1) : 0.5;
  };
  layers.forEach(setPos);

  // 2. barycenter sweeps.
  const key = new Float64Array(n);
  const sweep = (down: boolean) => {
    const from = down ? 1 : L - 2;
    const to = down ? L : -1;
    const step = down ? 1 : -1;
    for (let l = from; l !== to; l += step) {
      const row = layers[l];
      if (row.length < 2) continue;
      for (const v of row) {
        let sum = 0;
        let cnt = 0;
        const [adj, start, end] = down ? [inAdj, inDeg[v], inDeg[v + 1]] : [outAdj, outDeg[v], outDeg[v + 1]];
        for (let k = start; k < end; k++) {
          sum += pos[adj[k]];
          cnt++;
        }
        key[v] = cnt ? sum / cnt : pos[v];
      }
      row.sort((a, b) => key[a] - key[b] || pos[a] - pos[b]);
      setPos(row);
    }
  };
  sweep(true);
  sweep(false);
  sweep(true);

  // 3. wrap wide layers into rows.
  const maxPerRow = Math.max(1, inp.maxPerRow);
  const rows: number[][] = [];
  for (const row of layers) {
    if (row.length <= maxPerRow) rows.push(row);
    else {
      // Interleave (every k-th node), so each sub-row spans the layer's whole range under its parents.
      const k = Math.ceil(row.length / maxPerRow);
      for (let j = 0; j < k; j++) rows.push(row.filter((_, i) => i % k === j));
    }
  }

  // 4. x placement.
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const placed = new Uint8Array(n);
  let minX = Infinity;
  let maxX = -Infinity;
  const desired = new Float64Array(maxPerRow + 1);
  rows.forEach((row, r) => {
    const cy = r * (nodeHeight + vGap) + nodeHeight / 2;
    // Desired centres: mean x of already-placed parents; otherwise evenly spread.
    let seq = 0;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      let sum = 0;
      let cnt = 0;
      for (let k = inDeg[v]; k < inDeg[v + 1]; k++) {
        const p = inAdj[k];
        if (placed[p]) {
          sum += x[p];
          cnt++;
        }
      }
      desired[i] = cnt ? sum / cnt : seq;
      seq += widths[v] + hGap;
    }
    // A row that cannot fit within its parents' span is laid evenly, centred under them; otherwise
    // left to right with a minimum gap, then shifted to minimise the mean displacement.
    let total = -hGap;
    let lo = Infinity;
    let hi = -Infinity;
    let mean = 0;
    for (let i = 0; i < row.length; i++) {
      total += widths[row[i]] + hGap;
      if (desired[i] < lo) lo = desired[i];
      if (desired[i] > hi) hi = desired[i];
      mean += desired[i];
    }
    mean /= row.length;
    if (hi - lo < total) {
      let left = mean - total / 2;
      for (let i = 0; i < row.length; i++) desired[i] = left + widths[row[i]] / 2;
      for (let i = 1; i < row.length; i++) {
        left += widths[row[i - 1]] + hGap;
        desired[i] = left + widths[row[i]] / 2;
      }
    }
    let prevRight = -Infinity;
    let shift = 0;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      const half = widths[v] / 2;
      const cx = Math.max(desired[i], prevRight + hGap + half);
      x[v] = cx;
      prevRight = cx + half;
      shift += cx - desired[i];
    }
    shift /= row.length;
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      x[v] -= shift;
      y[v] = cy;
      placed[v] = 1;
      if (x[v] - widths[v] / 2 < minX) minX = x[v] - widths[v] / 2;
      if (x[v] + widths[v] / 2 > maxX) maxX = x[v] + widths[v] / 2;
    }
  });
  if (!Number.isFinite(minX)) {
    minX = 0;
    maxX = 0;
  }
  for (let i = 0; i < n; i++) x[i] -= minX;
  return { x, y, width: maxX - minX, height: rows.length * (nodeHeight + vGap) - vGap, rows: rows.length, ms: performance.now() - t0 };
}
