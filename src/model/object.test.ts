import { describe, expect, it } from 'vitest';
import { clone, deepFreeze, sameJson } from './object.js';

describe('clone', () => {
  it('copies as a JSON round trip would', () => {
    const date = new Date('2026-01-02T03:04:05Z');
    const input = {
      a: 1,
      b: 'x',
      c: null,
      d: undefined,
      e: () => 1,
      f: [1, undefined, () => 2, { g: NaN, h: Infinity }],
      when: date,
      nested: { deep: { list: [[1], [2, { z: true }]] } },
      ...JSON.parse('{"__proto__": {"polluted": 1}}'),
    };
    const out = clone(input);
    expect(out).toEqual(JSON.parse(JSON.stringify(input)));
    expect(JSON.stringify(out)).toBe(JSON.stringify(input));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('shares nothing with the original', () => {
    const input = { list: [{ x: 1 }], map: { k: { v: 1 } } };
    const out = clone(input);
    out.list[0].x = 2;
    out.map.k.v = 2;
    expect(input).toEqual({ list: [{ x: 1 }], map: { k: { v: 1 } } });
  });
});

describe('sameJson', () => {
  it('says whether two values have the same JSON text, without making it', () => {
    const shared = deepFreeze({ id: 'a', phase: 'Succeeded', children: ['b'] });
    const cases: [unknown, unknown][] = [
      [{ nodes: { a: shared, b: { id: 'b', n: NaN } } }, { nodes: { a: shared, b: { id: 'b', n: null } } }],
      [{ a: 1, skipped: undefined, f: () => 1 }, { a: 1 }],
      [{ a: 1, b: 2 }, { b: 2, a: 1 }],
      [[1, undefined, () => 2], [1, null, null]],
      [[1, 2], [1, 2, 3]],
      [{ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'y' }] } }],
      [{ when: new Date('2026-01-01T00:00:00Z') }, { when: '2026-01-01T00:00:00.000Z' }],
      [{ a: [] }, { a: {} }],
      [{ a: 'x' }, { a: 'x' }],
      [0, -0],
      [Infinity, null],
      [undefined, undefined],
      [{ a: 1 }, null],
      // plain values are compared before objects: every kind of difference is still found
      [{ nodes: { a: shared }, progress: '1/2' }, { nodes: { a: shared }, progress: '2/2' }],
      [{ nodes: { a: { phase: 'Running' } }, progress: '1/2' }, { nodes: { a: { phase: 'Succeeded' } }, progress: '1/2' }],
      [{ a: {}, b: 1 }, { a: 1, b: 1 }],
      [{ a: { x: 1 }, b: 1 }, { a: { x: 1 }, c: 1 }],
      [{ a: { x: 1 }, b: 1 }, { a: { x: 1 }, b: 1, c: undefined }],
      [{ a: { x: 1 }, b: { y: [1] } }, { a: { x: 1 }, b: { y: [1] } }],
    ];
    for (const [a, b] of cases) expect(sameJson(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(JSON.stringify(a) === JSON.stringify(b));
  });
});
