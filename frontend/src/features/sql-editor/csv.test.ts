import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField, csvFileName, toCsv } from './csv.ts';

test('fields with commas, quotes, line breaks or surrounding spaces are quoted, quotes doubled', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('cr\rhere'), '"cr\rhere"');
  assert.equal(csvField(' padded'), '" padded"');
  assert.equal(csvField('<b>html</b>'), '<b>html</b>');
});

test('null is an empty field, numbers and booleans as text, objects as JSON', () => {
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
  assert.equal(csvField(42), '42');
  assert.equal(csvField(false), 'false');
  assert.equal(csvField({ a: 1, b: 'x,y' }), '"{""a"":1,""b"":""x,y""}"');
  assert.equal(csvField([1, 2]), '"[1,2]"');
});

test('a result is a header line then one line per row, in column order, CRLF-terminated', () => {
  const csv = toCsv(
    ['id', 'note', 'missing'],
    [
      { note: 'hello, world', id: 1 },
      { id: 2, note: null, missing: 'x' },
    ],
  );
  assert.equal(csv, 'id,note,missing\r\n1,"hello, world",\r\n2,,x\r\n');
  assert.equal(toCsv(['a,b'], []), '"a,b"\r\n');
});

test('export file names carry the local date and time', () => {
  assert.equal(csvFileName(new Date(2026, 0, 2, 3, 4, 5)), 'query-result-20260102-030405.csv');
});
