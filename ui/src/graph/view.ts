// Draws a laid-out graph: SVG up to SVG_LIMIT nodes (every node is a focusable button), a canvas
// beyond that (one path per phase colour, viewport culling, labels only when legible). Pan by
// dragging, zoom with the wheel or the toolbar; phases update in place without a new layout.
import { h, s } from '../dom';
import type { LayoutResult } from './layout';
import type { GNode, GraphModel } from './model';

export const SVG_LIMIT = 500;
export const NODE_W = 180;
export const NODE_H = 40;
export const SMALL_W = 18;

export interface GraphHandlers {
  onSelect(id: string): void;
  onToggle(id: string): void;
}

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error', 'Skipped', 'Omitted'];

export class GraphView {
  readonly el: HTMLElement;
  private model?: GraphModel;
  private lay?: LayoutResult;
  private mode: 'svg' | 'canvas' = 'svg';
  private k = 1;
  private tx = 0;
  private ty = 0;
  private selected?: string;
  private svg?: SVGSVGElement;
  private svgRoot?: SVGGElement;
  private svgNodes = new Map<string, SVGGElement>();
  private canvas?: HTMLCanvasElement;
  private raf = 0;
  private colors: Record<string, string> = {};
  private readonly stage: HTMLElement;
  private readonly zoomLabel: HTMLElement;
  private resizeObs: ResizeObserver;

  constructor(private readonly handlers: GraphHandlers) {
    this.stage = h('div', { class: 'graph-stage', 'data-testid': 'graph' });
    this.zoomLabel = h('span', { class: 'muted zoom-label' }, '100%');
    const btn = (label: string, title: string, fn: () => void) => h('button', { type: 'button', class: 'btn small', title, 'aria-label': title, onclick: fn }, label);
    this.el = h('div', { class: 'graph' },
      h('div', { class: 'graph-tools' },
        btn('−', 'Zoom out', () => this.zoomBy(1 / 1.25)),
        btn('+', 'Zoom in', () => this.zoomBy(1.25)),
        btn('Fit', 'Fit the graph', () => this.fit()),
        btn('1:1', 'Actual size', () => this.zoomTo(1)),
        this.zoomLabel),
      this.stage);
    this.installPanZoom();
    this.resizeObs = new ResizeObserver(() => this.schedule());
    this.resizeObs.observe(this.stage);
    window.addEventListener('argosy:prefs', this.onPrefs);
  }

  destroy(): void {
    this.resizeObs.disconnect();
    window.removeEventListener('argosy:prefs', this.onPrefs);
    cancelAnimationFrame(this.raf);
  }

  private onPrefs = () => {
    this.readColors();
    this.schedule();
  };

  get nodeCount(): number {
    return this.model?.nodes.length ?? 0;
  }

  /** A new shape: draw from scratch. `initial` fits the view (first draw). */
  setGraph(model: GraphModel, lay: LayoutResult, initial: boolean): void {
    this.model = model;
    this.lay = lay;
    const mode = model.nodes.length > SVG_LIMIT ? 'canvas' : 'svg';
    this.mode = mode;
    this.stage.replaceChildren();
    this.svgNodes.clear();
    this.svg = undefined;
    this.canvas = undefined;
    this.readColors();
    if (mode === 'svg') this.buildSvg();
    else {
      this.canvas = h('canvas', { class: 'graph-canvas', role: 'img', 'aria-label': `Workflow graph with ${model.nodes.length} nodes; use Find node to select one` });
      this.stage.appendChild(this.canvas);
    }
    this.stage.dataset.mode = mode;
    if (initial) this.initialView();
    this.applyTransform();
  }

  /** Same shape, new phases (and labels). */
  updatePhases(model: GraphModel): void {
    this.model = model;
    if (this.mode === 'svg') {
      for (const n of model.nodes) {
        const g = this.svgNodes.get(n.id);
        if (g && g.dataset.phase !== n.phase) {
          g.dataset.phase = n.phase;
          g.setAttribute('class', this.nodeClass(n));
          g.setAttribute('aria-label', `${n.label}: ${n.phase}`);
          const t = g.querySelector('title');
          if (t) t.textContent = `${n.label} (${n.type}): ${n.phase}`;
        }
      }
    } else this.schedule();
  }

  select(id: string | undefined, center = false): void {
    this.selected = id;
    if (this.mode === 'svg') {
      for (const [nid, g] of this.svgNodes) g.classList.toggle('selected', nid === id);
    } else this.schedule();
    if (center && id) this.centerOn(id);
  }

  centerOn(id: string): void {
    const i = this.model?.index.get(id);
    if (i === undefined || !this.lay) return;
    const r = this.stage.getBoundingClientRect();
    this.k = Math.max(this.k, 0.6);
    this.tx = r.width / 2 - this.lay.x[i] * this.k;
    this.ty = r.height / 2 - this.lay.y[i] * this.k;
    this.applyTransform();
  }

  private nodeClass(n: GNode): string {
    return `node phase-${n.phase.toLowerCase()}${n.small ? ' small' : ''}${n.placeholderOf ? ' placeholder' : ''}${n.pending ? ' pending' : ''}${n.id === this.selected ? ' selected' : ''}`;
  }

  private buildSvg(): void {
    const model = this.model!;
    const lay = this.lay!;
    const svg = s('svg', { class: 'graph-svg', width: '100%', height: '100%', role: 'group', 'aria-label': `Workflow graph, ${model.nodes.length} nodes` });
    const root = s('g');
    const edges = s('g', { class: 'edges' });
    let d = '';
    const E = model.edges;
    for (let e = 0; e < E.length; e += 2) d += edgePath(lay, model, E[e], E[e + 1]);
    edges.appendChild(s('path', { d }));
    root.appendChild(edges);
    const nodesG = s('g', { class: 'nodes' });
    model.nodes.forEach((n, i) => {
      const x = lay.x[i];
      const y = lay.y[i];
      const w = n.small ? SMALL_W : NODE_W;
      const g = s('g', { class: this.nodeClass(n), transform: `translate(${x},${y})`, tabindex: '0', role: 'button', 'data-node-id': n.id, 'data-phase': n.phase, 'data-label': n.label, 'aria-label': `${n.label}: ${n.phase}` });
      g.appendChild(s('title', null, n.pending ? `${n.label}: planned, not started yet` : `${n.label} (${n.type}): ${n.phase}`));
      if (n.small) g.appendChild(s('circle', { r: SMALL_W / 2, class: 'shape' }));
      else {
        g.appendChild(s('rect', { x: -w / 2, y: -NODE_H / 2, width: w, height: NODE_H, rx: 6, class: 'shape' }));
        g.appendChild(s('circle', { cx: -w / 2 + 14, cy: 0, r: 6, class: 'status' }));
        g.appendChild(s('text', { x: -w / 2 + 28, y: 4 }, truncate(n.label, 19)));
        if (n.collapsible) {
          const t = s('g', { class: 'toggle', transform: `translate(${w / 2 - 12},${-NODE_H / 2 + 12})`, role: 'button', tabindex: '0', 'aria-label': `${n.collapsed ? 'Expand' : 'Collapse'} ${n.label}`, 'data-toggle': n.id });
          t.appendChild(s('rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 }));
          t.appendChild(s('text', { x: 0, y: 4, 'text-anchor': 'middle' }, n.collapsed ? '+' : '−'));
          g.appendChild(t);
        }
      }
      if (n.small && n.collapsible) {
        g.appendChild(s('text', { x: SMALL_W / 2 + 4, y: 4, class: 'small-label', 'data-toggle': n.id }, n.collapsed ? '+' : '−'));
      }
      nodesG.appendChild(g);
      this.svgNodes.set(n.id, g);
    });
    root.appendChild(nodesG);
    svg.appendChild(root);
    const activate = (target: Element | null) => {
      const tog = target?.closest('[data-toggle]');
      if (tog) return this.handlers.onToggle(tog.getAttribute('data-toggle')!);
      const g = target?.closest('[data-node-id]');
      if (!g) return;
      const id = g.getAttribute('data-node-id')!;
      const n = model.nodes[model.index.get(id)!];
      if (n?.pending) return;
      if (n?.placeholderOf) this.handlers.onToggle(n.placeholderOf);
      else this.handlers.onSelect(id);
    };
    svg.addEventListener('click', (e) => {
      if (this.dragged) return;
      activate(e.target as Element);
    });
    svg.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        activate(e.target as Element);
      }
    });
    this.svg = svg;
    this.svgRoot = root;
    this.stage.appendChild(svg);
  }

  private readColors(): void {
    const cs = getComputedStyle(document.documentElement);
    for (const p of PHASES) this.colors[p] = cs.getPropertyValue(`--ph-${p.toLowerCase()}`).trim() || '#888';
    this.colors.Collapsed = this.colors.Pending;
    this.colors.surface = cs.getPropertyValue('--surface').trim() || '#fff';
    this.colors.text = cs.getPropertyValue('--text').trim() || '#000';
    this.colors.edge = cs.getPropertyValue('--edge').trim() || '#999';
    this.colors.accent = cs.getPropertyValue('--accent').trim() || '#06f';
  }

  private initialView(): void {
    const r = this.stage.getBoundingClientRect();
    const lay = this.lay!;
    const pad = 24;
    const fit = Math.min((r.width - 2 * pad) / Math.max(lay.width, 1), (r.height - 2 * pad) / Math.max(lay.height, 1));
    this.k = Math.min(1, Math.max(fit, 0.5));
    if (lay.width * this.k < r.width) this.tx = (r.width - lay.width * this.k) / 2;
    else {
      // Too wide to fit: centre the top row (the entry node) and let the user pan or Fit.
      let sum = 0;
      let cnt = 0;
      const top = Math.min(...Array.from(lay.y.subarray(0, Math.min(lay.y.length, 4096))));
      for (let i = 0; i < lay.y.length; i++) if (lay.y[i] === top) (sum += lay.x[i]), cnt++;
      this.tx = r.width / 2 - (cnt ? sum / cnt : lay.width / 2) * this.k;
    }
    this.ty = pad;
  }

  fit(): void {
    if (!this.lay) return;
    const r = this.stage.getBoundingClientRect();
    const pad = 24;
    this.k = Math.max(0.02, Math.min(2, (r.width - 2 * pad) / Math.max(this.lay.width, 1), (r.height - 2 * pad) / Math.max(this.lay.height, 1)));
    this.tx = (r.width - this.lay.width * this.k) / 2;
    this.ty = pad;
    this.applyTransform();
  }

  private zoomTo(k: number, cx?: number, cy?: number): void {
    const r = this.stage.getBoundingClientRect();
    const px = cx ?? r.width / 2;
    const py = cy ?? r.height / 2;
    const nk = Math.max(0.02, Math.min(4, k));
    this.tx = px - ((px - this.tx) * nk) / this.k;
    this.ty = py - ((py - this.ty) * nk) / this.k;
    this.k = nk;
    this.applyTransform();
  }

  private zoomBy(f: number): void {
    this.zoomTo(this.k * f);
  }

  private applyTransform(): void {
    this.zoomLabel.textContent = `${Math.round(this.k * 100)}%`;
    if (this.svgRoot) this.svgRoot.setAttribute('transform', `translate(${this.tx},${this.ty}) scale(${this.k})`);
    else this.schedule();
  }

  private schedule(): void {
    if (this.mode !== 'canvas' || this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.drawCanvas();
    });
  }

  /** Draw now (the first draw is synchronous so "drawn" is measurable). */
  drawNow(): void {
    if (this.mode === 'canvas') this.drawCanvas();
  }

  private drawCanvas(): void {
    const c = this.canvas;
    const model = this.model;
    const lay = this.lay;
    if (!c || !model || !lay) return;
    const r = this.stage.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const W = Math.max(1, Math.round(r.width * dpr));
    const H = Math.max(1, Math.round(r.height * dpr));
    if (c.width !== W || c.height !== H) {
      c.width = W;
      c.height = H;
      c.style.width = `${r.width}px`;
      c.style.height = `${r.height}px`;
    }
    const ctx = c.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.setTransform(dpr * this.k, 0, 0, dpr * this.k, dpr * this.tx, dpr * this.ty);
    // Visible world rectangle, with a margin of one node.
    const x0 = -this.tx / this.k - NODE_W;
    const y0 = -this.ty / this.k - NODE_H;
    const x1 = (r.width - this.tx) / this.k + NODE_W;
    const y1 = (r.height - this.ty) / this.k + NODE_H;
    const vis = (i: number) => lay.x[i] >= x0 && lay.x[i] <= x1 && lay.y[i] >= y0 && lay.y[i] <= y1;
    // Edges: one path.
    ctx.beginPath();
    const E = model.edges;
    for (let e = 0; e < E.length; e += 2) {
      const a = E[e];
      const b = E[e + 1];
      if (!vis(a) && !vis(b)) {
        // Skip edges whose both ends are far outside (long edges crossing the view are rare).
        const minY = Math.min(lay.y[a], lay.y[b]);
        const maxY = Math.max(lay.y[a], lay.y[b]);
        if (maxY < y0 || minY > y1) continue;
      }
      const ax = lay.x[a];
      const ay = lay.y[a] + halfH(model.nodes[a]);
      const bx = lay.x[b];
      const by = lay.y[b] - halfH(model.nodes[b]);
      const my = (ay + by) / 2;
      ctx.moveTo(ax, ay);
      ctx.bezierCurveTo(ax, my, bx, my, bx, by);
    }
    ctx.strokeStyle = this.colors.edge;
    ctx.lineWidth = 1 / Math.max(this.k, 0.5);
    ctx.stroke();
    // Nodes: bodies, then one path per phase for the status colour.
    const byPhase = new Map<string, number[]>();
    ctx.beginPath();
    for (let i = 0; i < model.nodes.length; i++) {
      if (!vis(i)) continue;
      const n = model.nodes[i];
      const list = byPhase.get(n.phase) ?? [];
      list.push(i);
      byPhase.set(n.phase, list);
      if (n.small) continue;
      ctx.rect(lay.x[i] - NODE_W / 2, lay.y[i] - NODE_H / 2, NODE_W, NODE_H);
    }
    ctx.fillStyle = this.colors.surface;
    ctx.fill();
    for (const [phase, list] of byPhase) {
      ctx.beginPath();
      for (const i of list) {
        const n = model.nodes[i];
        if (n.small) {
          ctx.moveTo(lay.x[i] + SMALL_W / 2, lay.y[i]);
          ctx.arc(lay.x[i], lay.y[i], SMALL_W / 2, 0, Math.PI * 2);
        } else ctx.rect(lay.x[i] - NODE_W / 2, lay.y[i] - NODE_H / 2, 8, NODE_H);
      }
      ctx.fillStyle = this.colors[phase] ?? this.colors.Pending;
      ctx.fill();
      ctx.beginPath();
      for (const i of list) if (!model.nodes[i].small) ctx.rect(lay.x[i] - NODE_W / 2, lay.y[i] - NODE_H / 2, NODE_W, NODE_H);
      ctx.strokeStyle = this.colors[phase] ?? this.colors.Pending;
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    if (this.selected !== undefined) {
      const i = model.index.get(this.selected);
      if (i !== undefined) {
        ctx.beginPath();
        ctx.rect(lay.x[i] - NODE_W / 2 - 4, lay.y[i] - NODE_H / 2 - 4, NODE_W + 8, NODE_H + 8);
        ctx.strokeStyle = this.colors.accent;
        ctx.lineWidth = 3;
        ctx.stroke();
      }
    }
    if (this.k >= 0.45) {
      ctx.fillStyle = this.colors.text;
      ctx.font = '12px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (let i = 0; i < model.nodes.length; i++) {
        const n = model.nodes[i];
        if (n.small || !vis(i)) continue;
        ctx.fillText(truncate(n.label, 22), lay.x[i] - NODE_W / 2 + 16, lay.y[i]);
      }
    }
    c.dataset.drawn = String(model.nodes.length);
  }

  private dragged = false;

  private installPanZoom(): void {
    let start: { x: number; y: number; tx: number; ty: number } | undefined;
    this.stage.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      start = { x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty };
      this.dragged = false;
    });
    window.addEventListener('pointermove', (e) => {
      if (!start) return;
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      if (!this.dragged && Math.hypot(dx, dy) < 4) return;
      this.dragged = true;
      this.stage.classList.add('panning');
      this.tx = start.tx + dx;
      this.ty = start.ty + dy;
      this.applyTransform();
    });
    window.addEventListener('pointerup', (e) => {
      const was = start;
      start = undefined;
      this.stage.classList.remove('panning');
      if (!was || this.dragged || this.mode !== 'canvas' || e.target !== this.canvas) return;
      // A click on the canvas: hit-test.
      const r = this.stage.getBoundingClientRect();
      const wx = (e.clientX - r.left - this.tx) / this.k;
      const wy = (e.clientY - r.top - this.ty) / this.k;
      const id = this.hit(wx, wy);
      if (!id) return;
      const n = this.model!.nodes[this.model!.index.get(id)!];
      if (n.placeholderOf) this.handlers.onToggle(n.placeholderOf);
      else this.handlers.onSelect(id);
    });
    this.stage.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = this.stage.getBoundingClientRect();
      this.zoomTo(this.k * Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
  }

  private hit(wx: number, wy: number): string | undefined {
    const model = this.model;
    const lay = this.lay;
    if (!model || !lay) return undefined;
    for (let i = 0; i < model.nodes.length; i++) {
      const n = model.nodes[i];
      const hw = n.small ? SMALL_W / 2 : NODE_W / 2;
      const hh = n.small ? SMALL_W / 2 : NODE_H / 2;
      if (Math.abs(wx - lay.x[i]) <= hw && Math.abs(wy - lay.y[i]) <= hh) return n.id;
    }
    return undefined;
  }
}

function halfH(n: GNode): number {
  return n.small ? SMALL_W / 2 : NODE_H / 2;
}

function edgePath(lay: LayoutResult, model: GraphModel, a: number, b: number): string {
  const ax = lay.x[a];
  const ay = lay.y[a] + halfH(model.nodes[a]);
  const bx = lay.x[b];
  const by = lay.y[b] - halfH(model.nodes[b]);
  const my = (ay + by) / 2;
  return `M${ax.toFixed(1)},${ay.toFixed(1)}C${ax.toFixed(1)},${my.toFixed(1)} ${bx.toFixed(1)},${my.toFixed(1)} ${bx.toFixed(1)},${by.toFixed(1)}`;
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
