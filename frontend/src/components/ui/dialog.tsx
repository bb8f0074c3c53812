import { type FormEvent, type ReactNode, useEffect, useId, useState } from 'react';
import { errorMessage } from '../../lib/errors.ts';
import { Button } from './button.tsx';
import { ErrorMessage } from './states.tsx';

export interface DialogProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}

/** A modal dialog: Escape or the backdrop closes it. */
export function Dialog({ title, onClose, children, footer, wide }: DialogProps) {
  const titleId = useId();
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center overflow-y-auto bg-black/40 p-4 pt-[10vh]">
      <div className="fixed inset-0" onClick={onClose} aria-hidden="true" />
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        className={`relative w-full ${wide ? 'max-w-2xl' : 'max-w-md'} rounded-lg border border-zinc-200 bg-white shadow-xl dark:border-zinc-800 dark:bg-zinc-900`}
      >
        <h2
          id={titleId}
          className="border-b border-zinc-200 px-5 py-3 text-base font-semibold dark:border-zinc-800"
        >
          {title}
        </h2>
        <div className="px-5 py-4">{children}</div>
        {footer ? (
          <div className="flex justify-end gap-2 border-t border-zinc-200 px-5 py-3 dark:border-zinc-800">
            {footer}
          </div>
        ) : null}
      </div>
    </div>
  );
}

export interface FormDialogProps {
  title: string;
  submitLabel: string;
  onClose(): void;
  /** Runs on submit; the dialog shows its error (the API's detail) and stays open when it throws. */
  onSubmit(): Promise<void>;
  children: ReactNode;
  danger?: boolean;
  wide?: boolean;
}

/** A dialog around a form: disables itself while submitting, shows the failure and keeps what was typed. */
export function FormDialog({
  title,
  submitLabel,
  onClose,
  onSubmit,
  children,
  danger,
  wide,
}: FormDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const formId = useId();
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return (
    <Dialog
      title={title}
      onClose={onClose}
      wide={wide}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant={danger ? 'danger' : 'primary'} disabled={busy}>
            {busy ? 'Working…' : submitLabel}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="space-y-3">
        {children}
        {error ? <ErrorMessage message={errorMessage(error)} /> : null}
      </form>
    </Dialog>
  );
}

/** Asks before a destructive action. */
export function ConfirmDialog(props: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onClose(): void;
  onConfirm(): Promise<void>;
}) {
  return (
    <FormDialog
      title={props.title}
      submitLabel={props.confirmLabel}
      onClose={props.onClose}
      onSubmit={props.onConfirm}
      danger
    >
      <p className="text-sm text-zinc-700 dark:text-zinc-300">{props.message}</p>
    </FormDialog>
  );
}
