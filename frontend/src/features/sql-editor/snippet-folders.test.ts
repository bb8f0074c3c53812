import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupByFolder, normalizeFolder, snippetName, splitSnippetName } from './snippet-folders.ts';

test('a stored name splits at its last slash into folder and name', () => {
  assert.deepEqual(splitSnippetName('top users'), { folder: '', name: 'top users' });
  assert.deepEqual(splitSnippetName('reports/top users'), { folder: 'reports', name: 'top users' });
  assert.deepEqual(splitSnippetName('reports/ monthly /revenue'), {
    folder: 'reports/monthly',
    name: 'revenue',
  });
  assert.deepEqual(splitSnippetName('reports/'), { folder: '', name: 'reports/' });
  assert.deepEqual(splitSnippetName('/x'), { folder: '', name: 'x' });
});

test('a folder and a name make the stored name; bad ones say why', () => {
  assert.deepEqual(snippetName(' reports / monthly/ ', ' revenue '), { name: 'reports/monthly/revenue' });
  assert.deepEqual(snippetName('', 'solo'), { name: 'solo' });
  assert.equal(normalizeFolder('//'), '');
  assert.ok('error' in snippetName('reports', '  '));
  assert.ok('error' in snippetName('reports', 'a/b'));
  const long = snippetName('f'.repeat(60), 'n'.repeat(40));
  assert.ok('error' in long && /101 characters/.test(long.error));
  assert.deepEqual(snippetName('f'.repeat(59), 'n'.repeat(40)), {
    name: `${'f'.repeat(59)}/${'n'.repeat(40)}`,
  });
});

test('snippets group by folder: no folder first, then folders and names in natural order', () => {
  const groups = groupByFolder([
    { id: 1, name: 'reports/b' },
    { id: 2, name: 'z-loose' },
    { id: 3, name: 'admin/cleanup' },
    { id: 4, name: 'reports/a10' },
    { id: 5, name: 'reports/a9' },
    { id: 6, name: 'a-loose' },
  ]);
  assert.deepEqual(
    groups.map((g) => [g.folder, g.snippets.map((s) => [s.id, s.shortName])]),
    [
      [
        '',
        [
          [6, 'a-loose'],
          [2, 'z-loose'],
        ],
      ],
      ['admin', [[3, 'cleanup']]],
      [
        'reports',
        [
          [5, 'a9'],
          [4, 'a10'],
          [1, 'b'],
        ],
      ],
    ],
  );
  assert.deepEqual(groupByFolder([]), []);
});
