import { describe, expect, it } from 'vitest';
import { clone, deepFreeze, jsonOf, statusJson } from './object.js';

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

describe('statusJson', () => {
  it('is JSON.stringify, built from the cached texts of frozen nodes', () => {
    const done = deepFreeze({ id: 'a', phase: 'Succeeded', children: ['b'] });
    jsonOf(done);
    const status = {
      phase: 'Running',
      skipped: undefined,
      nodes: { a: done, b: { id: 'b', phase: 'Running', message: undefined, n: NaN }, '7': { id: '7' }, gone: undefined },
      outputs: { parameters: [{ name: 'p', value: undefined }] },
    };
    expect(statusJson(status)).toBe(JSON.stringify(status));
    expect(statusJson({ phase: 'Pending' })).toBe(JSON.stringify({ phase: 'Pending' }));
    expect(statusJson(undefined)).toBe(undefined);
  });
});
