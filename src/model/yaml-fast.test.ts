import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fullParseYaml, parseManifests } from './manifest.js';
import { fastParseYaml } from './yaml-fast.js';

const repo = join(import.meta.dirname, '..', '..');

function yamlFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(n) ? [p] : [];
  });
}

/** The fast reader either gives up or reads exactly what the full parser reads. */
function agrees(text: string): boolean {
  const fast = fastParseYaml(text);
  if (fast === undefined) return false;
  expect(JSON.stringify(fast)).toBe(JSON.stringify(fullParseYaml(text)));
  return true;
}

describe('fast YAML reader', () => {
  it('reads what the full parser reads, or gives up: every example file', () => {
    const files = [
      ...yamlFiles(join(repo, 'docs')),
      ...yamlFiles(join(repo, 'test', 'fixtures')),
      ...yamlFiles(join(repo, '..', 'shared', 'conformance', 'argo-workflows')),
    ];
    expect(files.length).toBeGreaterThan(2);
    let fast = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      try {
        if (agrees(text)) fast++;
      } catch (err) {
        throw new Error(`${f}: ${(err as Error).message}`);
      }
    }
    // Most real workflow files are plain enough to be read fast.
    expect(fast / files.length).toBeGreaterThan(0.5);
  });

  it('agrees on scalars, quoting, block scalars, flow lists and documents', () => {
    const cases = [
      'a: 1\nb: -2\nc: 1.50\nd: +3\ne: yes\nf: Off\ng: ~\nh:\ni: null\nj: alpine:3.7\nk: http://x/y#z\nl: v # note\n',
      "a: 'it''s'\nb: \"tab\\there \\u00e9 \\\"q\\\"\"\nc: '#not a comment'\nd: \"\" # empty\n",
      'a: |\n  line 1\n    deeper\n\n  line 3\n\nb: |-\n  x\n\n\nc: |+\n  y\n\n\nd: |\ne: 1\n',
      'list:\n- a\n- [x, "y", 3, true]\n- []\n- {}\n-\n  nested: 1\n- key: v\n  other: w\n-   spaced: 2\n    more: 3\nafter: z\n',
      'k:\n  - a\n  - b\nm:\n- c\n',
      '# only a comment\n---\na: 1\n---\n# empty\n---\nb: 2\n---\n',
      'a: 1\n---\nb: 2\n',
      'args: ["--flag", -c, ./run.sh, $(HOME), .config, (x)]\n',
      'a:\n  - |\n    script\n    here\n  - b\n',
      'steps:\n- - name: a\n    template: t\n  - name: b\n- -   name: c\n      arguments: {parameters: [{name: m, value: "x"}, {name: n, value: 64Mi}]}\n',
      'a: {b: 1, "c d": \'e\', f: 10s, g: 1.5}\n',
      'a: [b, [c, {d: [e, {}]}], []]\n',
    ];
    for (const c of cases) expect(agrees(c), c).toBe(true);
  });

  it('agrees on thousands of random documents built from tricky pieces', () => {
    let seed = 20261124;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const pick = <T>(a: T[]): T => a[rnd(a.length)];
    const scalars = ['a', 'yes', 'No', 'OFF', '~', 'null', '0', '-0', '+1', '12', '0755', '1.5', '-2.0', '.5', '1e3', '1_000', '1:20', '0x1F', '-.inf', '64Mi', '10s', '2024-01-01', 'a b', 'a: b', 'a #c', 'a#c', '"q"', "'it''s'", '"a\\nb"', '"\\u00e9"', '"a # b"', '[a, b]', '[]', '{}', '{a: 1, b: [c]}', '[{a: b}]', '-x', '--x', '-1', './x', '.x', '$(X)', '"{{x}}"', '&x', '*x', '!x', '|', '>', 'tRuE', 'Yes!', 'ÿ', ''];
    const keys = ['a', 'b', 'k-2', 'x.y', 'x/y', '"q k"', "'s k'", '1', 'true', '<<', 'a b'];
    const block = (ind: number, depth: number): string => {
      const sp = ' '.repeat(ind);
      let out = '';
      const seq = rnd(3) === 0;
      for (let i = 1 + rnd(3); i > 0; i--) {
        const r = depth < 3 ? rnd(5) : 3 + rnd(2);
        const lead = seq ? `${sp}-` : `${sp}${pick(keys)}:`;
        if (r === 0) out += `${lead}\n${block(ind + 2, depth + 1)}`;
        else if (r === 1 && seq) out += `${lead} ${block(ind + 2, depth + 1).slice(ind + 2)}`;
        else if (r === 1) out += `${lead}\n${block(ind, depth + 1)}`;
        else if (r === 2) out += `${lead} |${pick(['', '-', '+'])}\n${sp}  l1\n${pick(['', '\n'])}${sp}    deeper\n${pick(['', '\n', `${sp}\n`])}`;
        else out += `${lead} ${pick(scalars)}${pick(['', '', ' # c'])}\n`;
      }
      return out;
    };
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      const text = pick(['', '---\n', '# c\n---\n']) + block(0, 0) + pick(['', '', '---\n', `---\n${block(0, 0)}`]);
      try {
        if (agrees(text)) read++;
      } catch (err) {
        throw new Error(`${JSON.stringify(text)}: ${(err as Error).message}`);
      }
    }
    expect(read).toBeGreaterThan(300);
  });

  it('gives up on what it does not read itself', () => {
    const cases = [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: >\n  folded\n',
      'a: "two\n  lines"\n',
      'a: plain\n  continued\n',
      'a: {b: [1}\n',
      'a: 0755\n',
      'a: 1_000\n',
      'a: 1:20\n',
      'a: .inf\n',
      'a: -.inf\n',
      'a: [+.NaN]\n',
      'a: 2024-01-01\n',
      'a: 0x1F\n',
      'a: b: c\n',
      'a:\tb\n',
      '? a\n: b\n',
      '<<: {a: 1}\n',
      'yes: 1\n',
      '%YAML 1.1\n---\na: 1\n',
      'a: [b, [c]\n',
      'a: [b, {c: d e}x]\n',
      'just a scalar\n',
      'a: 1\n  b: 2\n',
    ];
    for (const c of cases) {
      expect(fastParseYaml(c), c).toBeUndefined();
    }
  });

  it('finds field lines through a full parse when one is asked for', () => {
    const [m] = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n', 'f.yaml');
    expect(m.object.metadata.name).toBe('x');
    expect(m.line('data.k')).toBe(6);
  });
});
