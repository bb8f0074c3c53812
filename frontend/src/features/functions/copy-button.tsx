import { useState } from 'react';
import { Button } from '../../components/ui/button.tsx';

/** Copies `text` to the clipboard and says whether it worked (a browser may refuse: the text stays selectable). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  }
  return (
    <Button size="sm" aria-label={label} onClick={() => void copy()}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text' : 'Copy'}
    </Button>
  );
}
