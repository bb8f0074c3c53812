import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from './errors.ts';
import { type FilterCondition, parseFilterCondition } from './row-filter.ts';

const parse = (text: string, maxInValues?: number) => parseFilterCondition('c', text, { maxInValues });
const refusal = (text: string, maxInValues?: number): string => {
  try {
    parse(text, maxInValues);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, 'INVALID_FILTER');
    return err.message;
  }
  assert.fail(`${text} was accepted`);
};

test('operators, not. and values', () => {
  const cases: Array<[string, FilterCondition]> = [
    ['eq.open', { op: 'eq', negate: false, value: 'open' }],
    ['eq.', { op: 'eq', negate: false, value: '' }],
    ['neq.a.b', { op: 'neq', negate: false, value: 'a.b' }],
    ['gte.10', { op: 'gte', negate: false, value: '10' }],
    ['not.lt.5', { op: 'lt', negate: true, value: '5' }],
    ['eq.not.x', { op: 'eq', negate: false, value: 'not.x' }],
    ['like.op*', { op: 'like', negate: false, value: 'op%' }],
    ['ilike.a\\*b', { op: 'ilike', negate: false, value: 'a\\%b' }],
    ['eq.a*', { op: 'eq', negate: false, value: 'a*' }],
    ['is.null', { op: 'is', negate: false, value: 'null' }],
    ['not.is.unknown', { op: 'is', negate: true, value: 'unknown' }],
    ['in.(a,b)', { op: 'in', negate: false, values: ['a', 'b'] }],
    ['not.in.()', { op: 'in', negate: true, values: [] }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parse(text), expected, text);
});

test('in. lists: quotes hold commas, backslash escapes inside them, bare values are trimmed', () => {
  const lists: Array<[string, string[]]> = [
    ['(a,b)', ['a', 'b']],
    ['()', []],
    ['( a , b )', ['a', 'b']],
    ['("a,b", c ,"d\\"e")', ['a,b', 'c', 'd"e']],
    ['(" a ")', [' a ']],
    ['("a\\\\b")', ['a\\b']],
    ['(a\\b)', ['a\\b']],
    ['(a,,b)', ['a', '', 'b']],
    ['("",x)', ['', 'x']],
    ['("open)', ['"open']],
  ];
  for (const [text, values] of lists)
    assert.deepEqual(parse(`in.${text}`), { op: 'in', negate: false, values });
});

test('refusals keep the data API messages', () => {
  assert.match(
    refusal('contains.x'),
    /^Invalid filter on 'c': contains\.x\. Use <operator>\.<value> with eq/,
  );
  assert.match(refusal('open'), /Invalid filter on 'c'/);
  assert.match(refusal('not.open'), /Invalid filter on 'c': not\.open\./);
  assert.match(refusal(`eq${'\n'}.x`), /Invalid filter on 'c': eq\?\.x/);
  assert.equal(refusal('is.maybe'), "Filter on 'c': is. takes null, true, false or unknown");
  assert.equal(refusal('in.a,b'), "Filter on 'c': in. takes a list in parentheses, e.g. in.(a,b)");
  assert.equal(refusal('in.(a'), "Filter on 'c': in. takes a list in parentheses, e.g. in.(a,b)");
});

test('in. list size: 1000 values by default, or the limit the caller passes', () => {
  const list = (n: number) => `in.(${Array.from({ length: n }, (_, i) => i).join(',')})`;
  assert.equal((parse(list(1000)) as { values: string[] }).values.length, 1000);
  assert.equal(refusal(list(1001)), "Filter on 'c': at most 1000 values");
  assert.equal((parse(list(100), 100) as { values: string[] }).values.length, 100);
  assert.equal(refusal(list(101), 100), "Filter on 'c': at most 100 values");
});
