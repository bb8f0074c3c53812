import { SQL_EXAMPLES } from './examples.ts';

/** Queries to start from: a click loads one into the editor. */
export function ExamplesPanel({ onLoad }: { onLoad(sql: string): void }) {
  return (
    <ul className="space-y-1">
      {SQL_EXAMPLES.map((example) => (
        <li key={example.title}>
          <button
            type="button"
            title="Load into the editor"
            onClick={() => onLoad(example.sql)}
            className="block w-full rounded-md border border-zinc-200 px-2 py-1.5 text-left text-sm hover:bg-zinc-50 dark:border-zinc-800 dark:hover:bg-zinc-800"
          >
            {example.title}
          </button>
        </li>
      ))}
    </ul>
  );
}
