import { describe, expect, test } from 'vitest';
import { compileExpr, evalExpr, toArgoString, formatValue, referencedNames } from './exprlang.js';
import { ExprError } from './errors.js';

const ev = (s: string, env: Record<string, unknown> = {}) => evalExpr(s, env);
const str = (s: string, env: Record<string, unknown> = {}) => toArgoString(evalExpr(s, env));

describe('numbers', () => {
  test.each([
    ['7/2', 3.5], ['7%2', 1n], ['2*3', 6n], ['2*1.5', 3], ['2**3', 8], ['2^3', 8], ['1e6', 1e6], ['.5', 0.5],
    ['-2 ** 2', -4], ['1 + 2 * 3', 7n], ['(1 + 2) * 3', 9n], ['10 - 2 - 3', 5n], ['2 ** 3 ** 2', 512], ['0x10', 16n], ['1_000', 1000n],
  ])('%s', (src, want) => expect(ev(src)).toBe(want));
  test('int vs float rendering', () => {
    expect(formatValue(ev('1e6'))).toBe('1e+06');
    expect(formatValue(ev('2*1.5'))).toBe('3');
    expect(formatValue(ev('0.1'))).toBe('0.1');
    expect(formatValue(ev('123456789.0'))).toBe('1.23456789e+08');
    expect(formatValue(ev('0.00001'))).toBe('1e-05');
    expect(str('1e6')).toBe('1000000');
    expect(str('7/2')).toBe('3.5');
  });
  test('% on floats is an error', () => expect(() => ev('7.5 % 2')).toThrow('invalid operation: % (mismatched types float64 and int) (1:5)'));
});

describe('operators', () => {
  test.each([
    ['1 == 1.0', true], ['"a" == 1', false], ['nil == nil', true], ['[1,2] == [1,2]', true], ['1 < 2.5', true], ['"a" < "b"', true],
    ['true && false', false], ['true and true', true], ['false || true', true], ['false or false', false], ['!true', false], ['not false', true],
    ['nil ?? "d"', 'd'], ['"x" ?? "d"', 'x'], ['1 > 2 ? "a" : "b"', 'b'], ['if 1 > 2 { "a" } else { "b" }', 'b'],
    ['if false { 1 } else if true { 2 } else { 3 }', 2n], ['1 in [1,2]', true], ['3 not in [1,2]', true], ['"a" in {a: 1}', true],
    ['"foobar" contains "oba"', true], ['"foobar" startsWith "foo"', true], ['"foobar" endsWith "bar"', true], ['"foo" matches "^f.o$"', true],
    ['"FOO" matches "(?i)^foo$"', true], ['not true == false', true], ['let x = 1; let y = x + 1; y * 2', 4n], ['"a" + "b"', 'ab'],
  ])('%s', (src, want) => expect(ev(src)).toStrictEqual(want));
  test('mismatched comparison errors', () => expect(() => ev('"a" < 1')).toThrow('invalid operation: < (mismatched types string and int) (1:5)'));
  test('no truthiness in &&', () => expect(() => ev('1 && true')).toThrow('invalid operation: && (non-bool left operand of type int) (1:3)'));
  test('non-bool condition', () => expect(() => ev('"true" ? 1 : 2')).toThrow('non-bool expression (type string) used as condition'));
  test('unsupported regex', () => expect(() => ev('"a" matches "(?=a)"')).toThrow('invalid or unsupported Perl syntax'));
});

describe('collections and members', () => {
  const env = { inputs: { parameters: { 'my-param': 'hi', n: '3' } }, items: [{ name: 'a', v: 1n }, { name: 'b', v: 5n }], nothing: null };
  test.each([
    ['1..3', [1n, 2n, 3n]], ['[1,2,3,4][1:3]', [2n, 3n]], ['[1,2,3][-1]', 3n], ['"abc"[1:]', 'bc'], ['[1,2,3][:2]', [1n, 2n]],
    ['inputs.parameters["my-param"]', 'hi'], ["inputs.parameters['my-param']", 'hi'], ['inputs.parameters.missing', null],
    ['nothing?.a', null], ['nothing?.a.b.c', null], ['{a: 1, "b": 2}.b', 2n], ['items[1].name', 'b'], ['map(items, {.name})', ['a', 'b']],
    ['filter(items, {#.v > 2})[0].name', 'b'], ['items | map(.v) | sum()', 6n], ['[1,2,3] | filter({# > 1})', [2n, 3n]],
    ['all([1,2], {# > 0})', true], ['any([1,2], # > 1)', true], ['none([1,2], # > 5)', true], ['one([1,2], # > 1)', true],
    ['count([1,2,3], # > 1)', 2n], ['find([1,2,3], # > 1)', 2n], ['findIndex([1,2,3], # > 1)', 1n], ['map([10,20], #index)', [0n, 1n]],
    ['reduce(1..4, #acc + #, 0)', 10n], ['reduce([1,2,3], #acc * #)', 6n], ['sortBy(items, .v, "desc")[0].name', 'b'],
    ['groupBy([1,2,3], # % 2 == 0)', { false: [1n, 3n], true: [2n] }],
  ])('%s', (src, want) => expect(ev(src, env)).toStrictEqual(want));
  test('member access on nil names the path', () => expect(() => ev('nothing.a', env)).toThrow('cannot fetch a from <nil> (nothing is nil) (1:9)'));
  test('index out of range', () => expect(() => ev('[1][3]')).toThrow('index out of range: 3 (array length is 1)'));
  test('unknown name', () => expect(() => ev('foo + 1')).toThrow('unknown name foo (1:1)'));
  test('lenient mode', () => expect(evalExpr('foo', {}, { strict: false })).toBe(null));
});

describe('builtins', () => {
  test.each([
    ['len("héllo")', 6n], ['len([1,2])', 2n], ['abs(-3)', 3n], ['ceil(1.2)', 2], ['floor(1.8)', 1], ['round(2.5)', 3], ['round(-2.5)', -3],
    ['max(1, 2.5, 2)', 2.5], ['min([3, 1, 2])', 1n], ['int("42")', 42n], ['int(3.9)', 3n], ['float("1e3")', 1000], ['string(1.5)', '1.5'],
    ['trim("  x ")', 'x'], ['trim("xxaxx", "x")', 'a'], ['trimPrefix("foobar", "foo")', 'bar'], ['trimSuffix("foobar", "bar")', 'foo'],
    ['upper("a")', 'A'], ['lower("A")', 'a'], ['split("a,b,c", ",")', ['a', 'b', 'c']], ['split("a,b,c", ",", 2)', ['a', 'b,c']],
    ['join(["a","b"], "-")', 'a-b'], ['replace("aaa", "a", "b")', 'bbb'], ['repeat("ab", 2)', 'abab'], ['indexOf("abc", "c")', 2n],
    ['lastIndexOf("abca", "a")', 3n], ['hasPrefix("abc", "ab")', true], ['hasSuffix("abc", "bc")', true], ['first([1,2])', 1n],
    ['last([1,2])', 2n], ['first([])', null], ['keys({b: 1, a: 2})', ['a', 'b']], ['values({b: 1, a: 2})', [2n, 1n]],
    ['fromJSON("{\\"a\\": [1, 2]}").a', [1, 2]], ['toBase64("hi")', 'aGk='], ['fromBase64("aGk=")', 'hi'], ['sum([1, 2.5])', 3.5],
    ['mean([1, 2])', 1.5], ['sort([3, 1, 2])', [1n, 2n, 3n]], ['sort(["b", "a"], "desc")', ['b', 'a']], ['uniq([1, 1, 2])', [1n, 2n]],
    ['concat([1], [2, 3])', [1n, 2n, 3n]], ['flatten([1, [2, [3]]])', [1n, 2n, 3n]], ['type(1)', 'int'], ['type(1.0)', 'float'],
    ['type("")', 'string'], ['type(nil)', 'nil'], ['type([])', 'array'], ['asInt("42") + 1', 43n], ['asFloat("1.5")', 1.5],
    ['toJson({b: [1, 1.5], a: "x<y"})', '{"a":"x\\u003cy","b":[1,1.5]}'], ['sprig.trim("  x ")', 'x'], ['sprig.upper("x")', 'X'],
    ['jsonpath(\'{"a":[{"b":1},{"b":2}]}\', "$.a[*].b")', [1, 2]], ['jsonpath(\'{"a":{"b":"c"}}\', "$.a.b")', 'c'],
    ["jsonpath('{\"xs\":[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":2}]}', \"$.xs[?(@.n == 'b')].v\")", [2]],
    ['jsonpath(\'{"a":{"b":{"id":1},"c":{"id":2}}}\', "$..id")', [1, 2]],
  ])('%s', (src, want) => expect(ev(src)).toStrictEqual(want));
  test('toJSON is indented', () => expect(ev('toJSON({a: 1})')).toBe('{\n  "a": 1\n}'));
  test('int() of a bad string', () => expect(() => ev('int("abc")')).toThrow('invalid operation: int(abc)'));
});

describe('time and duration', () => {
  test.each([
    ['duration("1h30m").Minutes()', 90], ['duration("1.5s").Seconds()', 1.5], ['duration("90m").Hours()', 1.5],
    ['date("2024-01-02T03:04:05Z").Year()', 2024n], ['date("2024-01-02T03:04:05Z").Unix()', 1704164645n],
    ['(date("2024-01-02") - date("2024-01-01")).Hours()', 24], ['date("2024-01-02") > date("2024-01-01")', true],
    ['date("2024-01-02T15:04:05Z").Format("Jan 2, 2006 at 3:04pm (MST)")', 'Jan 2, 2024 at 3:04pm (UTC)'],
    ['date("02/01/2024", "02/01/2006").Month()', 1n], ['(date("2024-01-01") + duration("36h")).Day()', 2n], ['now() > date("2020-01-01")', true],
    ['string(duration("90m"))', '1h30m0s'], ['date("2024-01-02T03:04:05+02:00").UTC().Hour()', 1n],
  ])('%s', (src, want) => expect(ev(src)).toStrictEqual(want));
  test('bad duration', () => expect(() => ev('duration("5x")')).toThrow('time: unknown unit "x" in duration "5x"'));
});

describe('syntax', () => {
  test('comments and strings', () => {
    expect(ev('1 /* c */ + // line\n 2')).toBe(3n);
    expect(ev('"a\\tb\\u0041"')).toBe('a\tbA');
    expect(ev('`raw\\n`')).toBe('raw\\n');
    expect(ev("'single'")).toBe('single');
  });
  test('syntax errors carry position', () => {
    expect(() => compileExpr('1 +')).toThrow('unexpected end of expression (1:4)');
    expect(() => compileExpr('(1')).toThrow("unexpected end of expression (expected ')') (1:3)");
    expect(() => compileExpr('1 @ 2')).toThrow("unrecognized character: U+0040 '@' (1:3)");
    expect(() => compileExpr('"abc')).toThrow('literal not terminated (1:1)');
    expect(() => compileExpr('a\n  b')).toThrow(ExprError);
    expect(() => compileExpr('a\n  b')).toThrow('unexpected token Identifier("b") (2:3)');
  });
  test('compiled ASTs are cached', () => expect(compileExpr('1 + 1')).toBe(compileExpr('1 + 1')));
  test('referencedNames', () => expect(referencedNames('let y = 1; inputs.parameters.x + y + len(z)').sort()).toEqual(['inputs', 'z']));
});

describe('toArgoString', () => {
  test.each([
    ['"s"', 's'], ['30', '30'], ['[3]', '[3]'], ['true', 'true'], ['{b: 1, a: "x"}', '{"a":"x","b":1}'], ['1.5', '1.5'], ['[1, "a"]', '[1,"a"]'],
  ])('%s', (src, want) => expect(str(src)).toBe(want));
});
