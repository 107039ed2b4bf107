// The three DAG shapes of shared/reference/perf-baselines.md (appendix A5), shared by every generator.
// shape(name) -> { nodes: [name], deps: { name: [deps] } }
export function shape(name) {
  const deps = {};
  if (name === 'chain') {
    // (a) chain of 200
    for (let i = 0; i < 200; i++) deps[`c${i}`] = i ? [`c${i - 1}`] : [];
  } else if (name === 'fan' || /^fan\d+$/.test(name)) {
    // (b) root -> N parallel -> sink (N = 1000: 1002 tasks)
    const n = name === 'fan' ? 1000 : Number(name.slice(3));
    deps.root = [];
    for (let i = 0; i < n; i++) deps[`m${i}`] = ['root'];
    deps.sink = Array.from({ length: n }, (_, i) => `m${i}`);
  } else if (/^fanout\d+$/.test(name)) {
    // root -> N parallel leaves, no sink: the memory benchmark's shape (a 5,000-way join would be
    // one task with 5,000 dependencies, which measures something else)
    deps.root = [];
    for (let i = 0; i < Number(name.slice(6)); i++) deps[`m${i}`] = ['root'];
  } else if (name === 'lattice') {
    // (c) 30 layers x 30 wide, node(l,i) <- (l-1,i),(l-1,(i+1)%30)  (900 tasks)
    for (let l = 0; l < 30; l++)
      for (let i = 0; i < 30; i++) deps[`l${l}_${i}`] = l ? [`l${l - 1}_${i}`, `l${l - 1}_${(i + 1) % 30}`] : [];
  } else throw new Error('unknown shape ' + name);
  return { nodes: Object.keys(deps), deps };
}

export const sinks = (s) => {
  const used = new Set(Object.values(s.deps).flat());
  return s.nodes.filter((n) => !used.has(n));
};

/** Argo DAG task names may not hold `_`: l3_7 becomes l3-7. */
const argoName = (n) => n.replace(/_/g, '-');

/** An Argo Workflow: one DAG template whose tasks each run a container template `alpine: true`. */
export function argoWorkflow(name, s) {
  const lines = [
    'apiVersion: argoproj.io/v1alpha1',
    'kind: Workflow',
    'metadata:',
    `  generateName: bench-${name}-`,
    'spec:',
    '  entrypoint: main',
    '  templates:',
    '  - name: main',
    '    dag:',
    '      tasks:',
  ];
  for (const n of s.nodes) {
    const d = s.deps[n];
    lines.push(`      - name: ${argoName(n)}`, '        template: t');
    if (d.length) lines.push(`        dependencies: [${d.map(argoName).join(', ')}]`);
  }
  lines.push('  - name: t', '    container:', '      image: alpine', '      command: ["true"]', '');
  return lines.join('\n');
}

/** A Makefile as appendix A4: every task a .PHONY target whose recipe is `true` (exec'd without a shell). */
export function makefile(s) {
  let out = `.PHONY: all ${s.nodes.join(' ')}\nall: ${sinks(s).join(' ')}\n`;
  for (const n of s.nodes) out += `${n}: ${s.deps[n].join(' ')}\n\ttrue\n`;
  return out;
}

/** The Snakefiles of appendix A10, verbatim. */
export const snakefiles = {
  chain: `rule all:
    input: "out/c199"
rule c0:
    output: "out/c0"
    shell: "true && touch {output}"
rule c:
    input: lambda wc: f"out/c{int(wc.i) - 1}"
    output: "out/c{i,[1-9][0-9]*}"
    shell: "true && touch {output}"
`,
  fan: `rule all:
    input: "out/sink"
rule root:
    output: "out/root"
    shell: "true && touch {output}"
rule mid:
    input: "out/root"
    output: "out/m/{i}"
    shell: "true && touch {output}"
rule sink:
    input: expand("out/m/{i}", i=range(1000))
    output: "out/sink"
    shell: "true && touch {output}"
`,
  lattice: `rule all:
    input: expand("out/l29_{i}", i=range(30))
rule l0:
    output: "out/l0_{i}"
    shell: "true && touch {output}"
rule l:
    input: lambda wc: [f"out/l{int(wc.l) - 1}_{wc.i}", f"out/l{int(wc.l) - 1}_{(int(wc.i) + 1) % 30}"]
    output: "out/l{l,[1-9][0-9]*}_{i}"
    shell: "true && touch {output}"
`,
};
