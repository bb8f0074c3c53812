// The code editor of the SQL Editor and the Functions page: CodeMirror 6, loaded on demand so it never weighs on the
// first load. Until its chunk arrives, a read-only textarea shows the same text.
import { lazy, Suspense } from 'react';
import type { CodeEditorProps } from './code-editor-view.tsx';

export type { CodeEditorProps, CodeLanguage } from './code-editor-view.tsx';

const CodeEditorView = lazy(() => import('./code-editor-view.tsx'));

export function CodeEditor(props: CodeEditorProps) {
  return (
    <Suspense
      fallback={
        <textarea
          readOnly
          aria-label={props.label}
          value={props.value}
          className="block w-full rounded-md border border-zinc-300 bg-transparent p-2 font-mono text-sm dark:border-zinc-700"
          style={{ minHeight: props.minHeight ?? '12rem' }}
        />
      }
    >
      <CodeEditorView {...props} />
    </Suspense>
  );
}
