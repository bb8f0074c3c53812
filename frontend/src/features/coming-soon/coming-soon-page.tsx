import { EmptyState, PageHeader } from '../../components/ui/states.tsx';

/** A page whose dashboard screen is not built yet: says so plainly (the API behind it may already work). */
export function ComingSoonPage({ title, what }: { title: string; what: string }) {
  return (
    <>
      <PageHeader title={title} />
      <EmptyState title="Coming soon">
        <p>{what}</p>
        <p className="mt-1">This page is not in the dashboard yet; its API is documented under /docs.</p>
      </EmptyState>
    </>
  );
}
