import { describe, expect, test } from 'vitest';
import { evalGovaluate, evalWhen } from './govaluate.js';

describe('evalWhen (Argo when: clauses)', () => {
  test.each([
    ['heads == heads', true], ['tails == heads', false], ['Succeeded == Succeeded', true], ['Failed != Succeeded', true],
    ['5 > 3', true], ['2 >= 3', false], ['1.5 < 2', true], ["'a' == 'a'", true], ['"a b" == "a b"', true], ['true', true],
    ['false || true', true], ['true && false', false], ['!false', true], ['(1 + 2) * 3 == 9', true], ['10 % 3 == 1', true],
    ['2 ** 3 == 8', true], ["foo =~ 'f.*'", true], ["foo !~ '^b'", true], ["b IN ('a', 'b')", true], ['c in (a, b)', false],
    ['-1 < 0', true], ['3 == 3.0', true], ['"5" == 5', false], ['b > a', true], ['[my-step] == [my-step]', true],
    ["'2024-01-02' > '2024-01-01'", true], ['1 == 1 ? true : false', true], ['(3 & 1) == 1', true], ['1 << 2 == 4', true], ['', true],
  ])('%s', (when, want) => expect(evalWhen(when)).toBe(want));

  test('non-boolean result', () => {
    expect(() => evalWhen('heads')).toThrow("Expected boolean evaluation for 'heads'. Got heads");
    expect(() => evalWhen('1 + 2')).toThrow("Expected boolean evaluation for '1 + 2'. Got 3");
  });
  test('invalid token hint', () =>
    expect(() => evalWhen('{{item}} == a')).toThrow(
      "Invalid 'when' expression '{{item}} == a': Invalid token: '{{' (hint: try wrapping the affected expression in quotes (\"))",
    ));
  test('string vs number comparison fails', () =>
    expect(() => evalWhen('heads > 5')).toThrow(
      "Failed to evaluate 'when' expresion 'heads > 5': Value 'heads' cannot be used with the comparator '>', it is not a number",
    ));
  test('hyphenated bare words are subtraction', () =>
    expect(() => evalWhen('my-step == x')).toThrow("Value 'my' cannot be used with the modifier '-', it is not a number"));
  test('logical operators need bools', () =>
    expect(() => evalWhen('a && true')).toThrow("Value 'a' cannot be used with the logical operator '&&', it is not a bool"));
  test('syntax errors', () => {
    expect(() => evalWhen('a b')).toThrow("Invalid 'when' expression 'a b': Cannot transition token types from VARIABLE [a] to VARIABLE [b]");
    expect(() => evalWhen('(1 == 1')).toThrow("Invalid 'when' expression '(1 == 1': Unbalanced parenthesis");
    expect(() => evalWhen("'abc == 1")).toThrow('Unclosed string literal');
    expect(() => evalWhen('1 ==')).toThrow('Unexpected end of expression');
    expect(() => evalWhen('foo.bar == 1')).toThrow("Unable to access unexported field 'bar' in token 'foo.bar'");
    expect(() => evalWhen('Foo.Bar == 1')).toThrow("No parameter 'Foo' found.");
  });
});

describe('evalGovaluate', () => {
  test('parameters', () => {
    expect(evalGovaluate('x * 2 + 1', { x: 3 })).toBe(7);
    expect(evalGovaluate('[a-b] == "q"', { 'a-b': 'q' })).toBe(true);
    expect(evalGovaluate('s + 1', { s: 'n' })).toBe('n1');
    expect(evalGovaluate('x ?? 5', { x: null })).toBe(5);
    expect(evalGovaluate('false ? 1 : 2')).toBe(2);
    expect(evalGovaluate('m.Count > 1', { m: { Count: 2n } })).toBe(true);
    expect(() => evalGovaluate('y > 1', {})).toThrow("No parameter 'y' found.");
  });
});
