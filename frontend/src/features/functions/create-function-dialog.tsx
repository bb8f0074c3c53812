import { createFunction, type FunctionRead, unwrap, updateFunction } from '@selfdb/sdk';
import { useState } from 'react';
import { CodeEditor } from '../../components/code-editor/code-editor.tsx';
import { FormDialog } from '../../components/ui/dialog.tsx';
import { Checkbox } from '../../components/ui/field.tsx';
import { useSelfDB } from '../../lib/session.tsx';
import { EnvVarsEditor } from './env-vars-editor.tsx';
import { FunctionFields } from './function-fields.tsx';
import { type EnvRow, envVarsOf, FUNCTION_TEMPLATE } from './functions.ts';

/** Name, description, code (from the template), timeout, env vars and active; the new function is not deployed. */
export function CreateFunctionDialog({
  onClose,
  onCreated,
}: {
  onClose(): void;
  onCreated(fn: FunctionRead): void;
}) {
  const selfdb = useSelfDB();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [code, setCode] = useState(FUNCTION_TEMPLATE);
  const [timeout, setTimeoutSeconds] = useState('30');
  const [envRows, setEnvRows] = useState<EnvRow[]>([]);
  const [active, setActive] = useState(true);

  async function save() {
    const envVars = envVarsOf(envRows);
    const client = selfdb.client;
    let fn = unwrap(
      await createFunction({
        client,
        body: {
          name: name.trim(),
          code,
          description: description.trim() || null,
          timeout_seconds: Number(timeout),
          env_vars: envVars,
        },
      }),
    );
    // The create body has no is_active (0.0.5's shape): a function made inactive is switched off right after.
    if (!active) {
      fn = unwrap(await updateFunction({ client, path: { function_id: fn.id }, body: { is_active: false } }));
    }
    onCreated(fn);
  }

  return (
    <FormDialog title="Create function" submitLabel="Create function" onClose={onClose} onSubmit={save} wide>
      <FunctionFields
        nameHint="Letters, digits, _ and -; starts with a letter. Part of its URL."
        name={name}
        onName={setName}
        timeout={timeout}
        onTimeout={setTimeoutSeconds}
        description={description}
        onDescription={setDescription}
      />
      <div className="space-y-1">
        <span className="text-sm font-medium text-zinc-700 dark:text-zinc-300">Code</span>
        <CodeEditor language="typescript" label="Function code" value={code} onChange={setCode} />
      </div>
      <EnvVarsEditor rows={envRows} onChange={setEnvRows} />
      <Checkbox label="Active" checked={active} onChange={(e) => setActive(e.target.checked)} />
    </FormDialog>
  );
}
