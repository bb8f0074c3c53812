import { Button } from './button.tsx';

/**
 * Previous/next pages with "from–to of total" (total null: unknown, next stays enabled while pages are full); with a
 * known total, first and last pages too (a table of 100,000 rows is 2,000 pages away).
 */
export function Pager(props: {
  page: number;
  pageSize: number;
  total: number | null;
  shown?: number;
  onPage(page: number): void;
}) {
  const { page, pageSize, total, onPage } = props;
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to =
    total === null ? (page - 1) * pageSize + (props.shown ?? pageSize) : Math.min(page * pageSize, total);
  const hasNext = total === null ? (props.shown ?? 0) === pageSize : page * pageSize < total;
  const last = total === null ? null : Math.max(1, Math.ceil(total / pageSize));
  return (
    <div className="mt-3 flex items-center justify-end gap-2 text-sm text-zinc-500">
      <span>
        {from}–{to}
        {total === null ? '' : ` of ${total}`}
      </span>
      {last !== null && last > 2 ? (
        <Button size="sm" disabled={page <= 1} onClick={() => onPage(1)}>
          First
        </Button>
      ) : null}
      <Button size="sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </Button>
      <Button size="sm" disabled={!hasNext} onClick={() => onPage(page + 1)}>
        Next
      </Button>
      {last !== null && last > 2 ? (
        <Button size="sm" disabled={page >= last} onClick={() => onPage(last)}>
          Last
        </Button>
      ) : null}
    </div>
  );
}
