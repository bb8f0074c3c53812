import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ColumnRow } from './access.repository.ts';
import { compileFilter, FilterError } from './filter.ts';

const COLUMNS: ColumnRow[] = [
  { name: 'id', type: 'uuid', category: 'U' },
  { name: 'n', type: 'integer', category: 'N' },
  { name: 'price', type: 'numeric(10,2)', category: 'N' },
  { name: 'label', type: 'text', category: 'S' },
  { name: 'code', type: 'character varying(10)', category: 'S' },
  { name: 'flag', type: 'boolean', category: 'B' },
  { name: 'at', type: 'timestamp with time zone', category: 'D' },
  { name: 'doc', type: 'jsonb', category: 'U' },
];

const matches = (filter: string, row: Record<string, unknown> | null) =>
  compileFilter(filter, COLUMNS).matches(row);

describe('row filters', () => {
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['n=eq.5', { n: 5 }, true],
    ['n=eq.5', { n: 6 }, false],
    ['n=eq.5', { n: null }, false],
    ['n=neq.5', { n: 6 }, true],
    ['n=neq.5', { n: null }, false],
    ['n=gt.5', { n: 6 }, true],
    ['n=gt.5', { n: 5 }, false],
    ['n=gte.5', { n: 5 }, true],
    ['n=lt.-1.5', { n: -2 }, true],
    ['n=lte.1e2', { n: 100 }, true],
    ['price=gt.9.99', { price: 10 }, true],
    ['label=eq.open', { label: 'open' }, true],
    ['label=eq.open', { label: 'Open' }, false],
    ["label=eq.x' OR '1'='1", { label: 'y' }, false],
    ["label=eq.x' OR '1'='1", { label: "x' OR '1'='1" }, true],
    ['label=gt.b', { label: 'c' }, true],
    ['label=like.op%', { label: 'open' }, true],
    ['label=like.op%', { label: 'Open' }, false],
    ['label=ilike.OP*', { label: 'open' }, true],
    ['label=like.o_en', { label: 'open' }, true],
    ['label=like.a.c', { label: 'abc' }, false],
    ['label=like.100\\%', { label: '100%' }, true],
    ['label=like.100\\%', { label: '1000' }, false],
    ['label=in.(open,"on, hold")', { label: 'on, hold' }, true],
    ['label=in.(open,closed)', { label: 'pending' }, false],
    ['n=in.(1,2,3)', { n: 2 }, true],
    ['label=is.null', { label: null }, true],
    ['label=is.null', {}, true],
    ['label=is.null', { label: 'x' }, false],
    ['flag=is.true', { flag: true }, true],
    ['flag=eq.false', { flag: false }, true],
    ['flag=is.false', { flag: null }, false],
    ['id=eq.6F9619FF-8B86-D011-B42D-00C04FC964FF', { id: '6f9619ff-8b86-d011-b42d-00c04fc964ff' }, true],
    ['at=gt.2024-01-01T00:00:00Z', { at: '2024-06-01T10:00:00+02:00' }, true],
    ['at=lt.2024-01-01', { at: '2024-06-01T10:00:00+00:00' }, false],
    // The data API's syntax (common's parseFilterCondition): `not.`, `is.unknown`, escapes in quoted list values.
    ['n=not.eq.5', { n: 6 }, true],
    ['n=not.eq.5', { n: 5 }, false],
    ['n=not.eq.5', { n: null }, false],
    ['n=not.gt.5', { n: 5 }, true],
    ['label=not.like.op%', { label: 'closed' }, true],
    ['label=not.like.op%', { label: null }, false],
    ['label=not.in.(open,closed)', { label: 'pending' }, true],
    ['label=not.in.(open,closed)', { label: 'open' }, false],
    ['label=not.in.(open,closed)', { label: null }, false],
    ['label=not.is.null', { label: 'x' }, true],
    ['label=not.is.null', { label: null }, false],
    ['flag=not.is.true', { flag: null }, true],
    ['flag=not.is.true', { flag: true }, false],
    ['flag=is.unknown', { flag: null }, true],
    ['flag=is.unknown', { flag: false }, false],
    ['flag=not.is.unknown', { flag: false }, true],
    ['label=in.("say \\"hi\\"",x)', { label: 'say "hi"' }, true],
    ['label=in.("a\\\\b")', { label: 'a\\b' }, true],
    ['label=in.(" padded ")', { label: ' padded ' }, true],
    ['label=in.(" padded ")', { label: 'padded' }, false],
    ['label=in.( bare )', { label: 'bare' }, true],
    ['label=in.("open)', { label: '"open' }, true],
    // SQL: `x = ANY('{}')` is false even for NULL, so its negation matches every row.
    ['label=in.()', { label: '' }, false],
    ['n=in.()', { n: null }, false],
    ['n=not.in.()', { n: 1 }, true],
    ['n=not.in.()', { n: null }, true],
    // `*` is `%` even after a backslash (PostgREST rewrites it first): `\*` is a literal percent sign.
    ['label=like.100\\*', { label: '100%' }, true],
    ['label=like.100\\*', { label: '100*' }, false],
  ];
  for (const [filter, row, expected] of cases) {
    test(`${filter} on ${JSON.stringify(row)} → ${expected}`, () => {
      assert.equal(matches(filter, row), expected);
    });
  }

  test('a missing row (INSERT has no old row) never matches', () => {
    assert.equal(matches('n=eq.1', null), false);
  });

  const refused: Array<[unknown, RegExp]> = [
    ['', /non-empty/],
    [42, /non-empty string/],
    ['n', /column=operator\.value/],
    ['=eq.5', /column=operator\.value/],
    ['n=equals.5', /Invalid filter on 'n': equals\.5\. Use <operator>\.<value>/],
    ['n=eq5', /Invalid filter on 'n'/],
    ['n=not.5', /Invalid filter on 'n'/],
    ['nosuch=eq.1', /column nosuch does not exist/],
    ['"n"=eq.1', /column=operator\.value/],
    ['n;drop table users=eq.1', /column=operator\.value/],
    ['n=eq.five', /not a valid value for column n/],
    ['n=eq.1; DROP TABLE x', /not a valid value/],
    ['n=like.1%', /needs a text column/],
    ['flag=gt.true', /gt cannot compare column flag/],
    ['id=eq.not-a-uuid', /not a valid value for column id/],
    ['id=lt.6f9619ff-8b86-d011-b42d-00c04fc964ff', /lt cannot compare/],
    ['label=is.open', /is\. takes null, true, false or unknown/],
    ['flag=is.maybe', /is\. takes null, true, false or unknown/],
    ['label=is.true', /is\.true needs a boolean column; label is not one/],
    ['n=is.unknown', /is\.unknown needs a boolean column/],
    ['label=in.open', /in\. takes a list in parentheses/],
    ['n=in.(1,,2)', /"" is not a valid value for column n/],
    ['doc=eq.{}', /type jsonb, which filters cannot compare/],
    ['at=eq.yesterday', /not a valid value for column at/],
    [`label=eq.${'x'.repeat(1000)}`, /longer than 1000/],
    [`n=in.(${Array.from({ length: 101 }, (_, i) => i).join(',')})`, /Filter on 'n': at most 100 values/],
  ];
  for (const [filter, message] of refused) {
    test(`refuses ${JSON.stringify(filter).slice(0, 60)}`, () => {
      assert.throws(
        () => compileFilter(filter as string, COLUMNS),
        (err: unknown) => {
          assert.ok(err instanceof FilterError);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
