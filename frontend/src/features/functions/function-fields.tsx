import { Field, Input } from '../../components/ui/field.tsx';
import { FUNCTION_NAME_PATTERN } from './functions.ts';

/** Name, timeout and description: the fields the create dialog and the settings panel share. */
export function FunctionFields({
  nameHint,
  name,
  onName,
  timeout,
  onTimeout,
  description,
  onDescription,
}: {
  nameHint: string;
  name: string;
  onName(value: string): void;
  timeout: string;
  onTimeout(value: string): void;
  description: string;
  onDescription(value: string): void;
}) {
  return (
    <>
      <div className="grid grid-cols-[1fr_8rem] gap-3">
        <Field label="Name" hint={nameHint}>
          <Input
            required
            pattern={FUNCTION_NAME_PATTERN}
            maxLength={255}
            value={name}
            onChange={(e) => onName(e.target.value)}
          />
        </Field>
        <Field label="Timeout (s)">
          <Input
            type="number"
            required
            min={5}
            max={300}
            value={timeout}
            onChange={(e) => onTimeout(e.target.value)}
          />
        </Field>
      </div>
      <Field label="Description">
        <Input maxLength={1000} value={description} onChange={(e) => onDescription(e.target.value)} />
      </Field>
    </>
  );
}
