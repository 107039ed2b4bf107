import { describe, expect, test } from 'vitest';
import { sprigFuncs as s } from './sprig.js';
import { evalExpr } from './exprlang.js';

describe('sprig', () => {
  test.each([
    ['trim', ['  a '], 'a'], ['trimAll', ['$', '$5.00$'], '5.00'], ['trimPrefix', ['foo', 'foobar'], 'bar'], ['trimSuffix', ['bar', 'foobar'], 'foo'],
    ['upper', ['a'], 'A'], ['lower', ['A'], 'a'], ['title', ['hello world'], 'Hello World'], ['untitle', ['Hello World'], 'hello world'],
    ['repeat', [3n, 'ab'], 'ababab'], ['substr', [1n, 3n, 'hello'], 'el'], ['nospace', ['a b  c'], 'abc'], ['trunc', [3n, 'hello'], 'hel'],
    ['trunc', [-3n, 'hello'], 'llo'], ['abbrev', [5n, 'hello world'], 'he...'], ['initials', ['First Try'], 'FT'], ['contains', ['ell', 'hello'], true],
    ['hasPrefix', ['he', 'hello'], true], ['hasSuffix', ['lo', 'hello'], true], ['quote', ['a', 'b'], '"a" "b"'], ['squote', ['a'], "'a'"],
    ['cat', ['a', 1n, null, 'b'], 'a 1 b'], ['indent', [2n, 'a\nb'], '  a\n  b'], ['nindent', [2n, 'a'], '\n  a'], ['replace', ['a', 'b', 'aXa'], 'bXb'],
    ['plural', ['one', 'many', 2n], 'many'], ['snakecase', ['FirstName'], 'first_name'], ['kebabcase', ['FirstName'], 'first-name'],
    ['camelcase', ['http_server'], 'HttpServer'], ['swapcase', ['aB'], 'Ab'], ['regexMatch', ['^[a-z]+\\d$', 'abc1'], true],
    ['regexFind', ['[0-9]+', 'ab12cd34'], '12'], ['regexFindAll', ['[0-9]+', 'ab12cd34', -1n], ['12', '34']],
    ['regexReplaceAll', ['a(x*)b', '-ab-axxb-', '${1}W'], '-W-xxW-'], ['regexReplaceAllLiteral', ['a(x*)b', '-ab-', '${1}'], '-${1}-'],
    ['regexSplit', ['z+', 'pizza', -1n], ['pi', 'a']], ['splitList', [',', 'a,b'], ['a', 'b']], ['split', ['$', 'a$b'], { _0: 'a', _1: 'b' }],
    ['join', ['-', ['a', 1n]], 'a-1'], ['sortAlpha', [['b', 'a']], ['a', 'b']], ['toString', [1.5], '1.5'], ['atoi', ['12'], 12n], ['atoi', ['x'], 0n],
    ['int', ['3'], 3n], ['int64', [3.9], 3n], ['float64', ['1.5'], 1.5], ['add', [1n, 2n, '3'], 6n], ['add1', [1n], 2n], ['sub', [5n, 2n], 3n],
    ['mul', [2n, 3n], 6n], ['div', [7n, 2n], 3n], ['mod', [7n, 2n], 1n], ['max', [1n, 5n, 3n], 5n], ['min', [4n, 2n], 2n], ['floor', [1.5], 1],
    ['ceil', [1.2], 2], ['round', [3.14159, 2n], 3.14], ['seq', [3n], '1 2 3'], ['seq', [5n, -1n, 3n], '5 4 3'], ['until', [3n], [0n, 1n, 2n]],
    ['untilStep', [0n, 10n, 4n], [0n, 4n, 8n]], ['list', [1n, 'a'], [1n, 'a']], ['first', [[1n, 2n]], 1n], ['last', [[1n, 2n]], 2n],
    ['rest', [[1n, 2n, 3n]], [2n, 3n]], ['initial', [[1n, 2n, 3n]], [1n, 2n]], ['append', [[1n], 2n], [1n, 2n]], ['prepend', [[1n], 0n], [0n, 1n]],
    ['concat', [[1n], [2n]], [1n, 2n]], ['reverse', [[1n, 2n]], [2n, 1n]], ['uniq', [[1n, 1n, 2n]], [1n, 2n]], ['without', [[1n, 2n, 3n], 2n], [1n, 3n]],
    ['has', [2n, [1n, 2n]], true], ['compact', [[1n, '', null, 'a']], [1n, 'a']], ['slice', [[1n, 2n, 3n], 1n], [2n, 3n]],
    ['dict', ['a', 1n, 'b'], { a: 1n, b: '' }], ['get', [{ a: 1n }, 'b'], ''], ['hasKey', [{ a: 1n }, 'a'], true], ['pluck', ['a', { a: 1n }, { b: 2n }], [1n]],
    ['keys', [{ b: 1n, a: 2n }], ['a', 'b']], ['values', [{ b: 1n, a: 2n }], [2n, 1n]], ['pick', [{ a: 1n, b: 2n }, 'a'], { a: 1n }],
    ['omit', [{ a: 1n, b: 2n }, 'a'], { b: 2n }], ['merge', [{ a: 1n }, { a: 2n, b: 3n }], { a: 1n, b: 3n }], ['default', ['d', ''], 'd'],
    ['default', ['d', 'x'], 'x'], ['default', ['d'], 'd'], ['empty', [0n], true], ['empty', [[1n]], false], ['coalesce', [null, '', 'x'], 'x'],
    ['ternary', ['a', 'b', true], 'a'], ['toJson', [{ b: 1n, a: [true] }], '{"a":[true],"b":1}'], ['toPrettyJson', [{ a: 1n }], '{\n  "a": 1\n}'],
    ['fromJson', ['{"a":1}'], { a: 1 }], ['b64enc', ['hello'], 'aGVsbG8='], ['b64dec', ['aGVsbG8='], 'hello'],
    ['sha256sum', ['abc'], 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'], ['sha1sum', ['abc'], 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['adler32sum', ['Wikipedia'], '300286872'], ['duration', [95n], '1m35s'], ['semverCompare', ['>=1.2.0', '1.3.0'], true], ['semverCompare', ['^1.2', '2.0.0'], false],
    ['semverCompare', ['~1.2.3', '1.2.9'], true], ['typeOf', [1.5], 'float64'], ['kindOf', [[1n]], 'slice'],
  ] as [string, unknown[], unknown][])('%s #%#', (name, args, want) => expect(s[name]!(...args)).toStrictEqual(want));

  test('random / uuid', () => {
    expect(s.randAlphaNum!(12n)).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(s.randNumeric!(5n)).toMatch(/^\d{5}$/);
    expect(s.uuidv4!()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  test('dates', () => {
    const t = evalExpr('date("2024-03-05T07:08:09Z")');
    expect(s.date!('2006-01-02 15:04', t)).toBe('2024-03-05 07:08');
    expect(s.dateInZone!('15:04 -07:00', t, '+02:00')).toBe('09:08 +02:00');
    expect(s.unixEpoch!(t)).toBe('1709622489');
  });
  test('env and expandenv are absent', () => {
    expect(s['env']).toBeUndefined();
    expect(s['expandenv']).toBeUndefined();
  });
  test('via the sprig namespace', () => {
    expect(evalExpr('sprig.trimPrefix("v", "v1.2")')).toBe('1.2');
    expect(evalExpr('sprig.default("x", "")')).toBe('x');
    expect(evalExpr('sprig.add(1, 2) + 1')).toBe(4n);
  });
});
