// CodeMirror 6 as a controlled React component (the lazily loaded half of code-editor.tsx).
import { javascript } from '@codemirror/lang-javascript';
import { PostgreSQL, sql } from '@codemirror/lang-sql';
import { syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { oneDarkHighlightStyle } from '@codemirror/theme-one-dark';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';

export type CodeLanguage = 'sql' | 'typescript';

export interface CodeEditorProps {
  value: string;
  onChange?: (value: string) => void;
  language: CodeLanguage;
  /** The accessible name of the editing area (`getByRole('textbox', { name })` in tests). */
  label: string;
  /** Ctrl/Cmd+Enter. */
  onRun?: () => void;
  readOnly?: boolean;
  minHeight?: string;
}

function languageOf(language: CodeLanguage) {
  return language === 'sql' ? sql({ dialect: PostgreSQL }) : javascript({ typescript: true });
}

// Colours follow the page (light and dark) instead of a fixed theme.
const pageTheme = EditorView.theme({
  '&': { backgroundColor: 'transparent', color: 'inherit', fontSize: '0.875rem' },
  '.cm-content': { caretColor: 'currentColor', fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' },
  '.cm-gutters': { backgroundColor: 'transparent', color: 'rgb(113 113 122)', border: 'none' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'rgb(113 113 122 / 0.08)' },
  '&.cm-focused': { outline: 'none' },
});

// The page is dark when <html> has the `dark` class (lib/theme.ts): then light-on-dark token colours and dark UI
// parts (selection, panels) instead of the default light ones.
const isPageDark = () => document.documentElement.classList.contains('dark');
const darkColours = [EditorView.theme({}, { dark: true }), syntaxHighlighting(oneDarkHighlightStyle)];
const coloursFor = (dark: boolean) => (dark ? darkColours : []);

// Typing over a selection: left to the browser, Chrome replaces the selected spans itself and gives the new text a
// `style` attribute, which the dashboard's CSP (no inline styles) refuses with a console error. The editor makes that
// change instead. Composition (IME) input is left alone.
const typeOverSelection = EditorView.domEventHandlers({
  beforeinput(event, view) {
    const { state } = view;
    if (event.inputType !== 'insertText' || !event.data || event.isComposing || state.readOnly) return false;
    if (state.selection.ranges.every((range) => range.empty)) return false;
    event.preventDefault();
    view.dispatch(state.replaceSelection(event.data), { scrollIntoView: true, userEvent: 'input.type' });
    return true;
  },
});

export default function CodeEditorView({
  value,
  onChange,
  language,
  label,
  onRun,
  readOnly = false,
  minHeight = '12rem',
}: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The latest callbacks, read by the editor's listeners without rebuilding it.
  const callbacks = useRef({ onChange, onRun });
  callbacks.current = { onChange, onRun };
  const languageSlot = useRef(new Compartment());
  const readOnlySlot = useRef(new Compartment());
  const coloursSlot = useRef(new Compartment());

  useEffect(() => {
    // CodeMirror's styles go in a <style> element when it lives in the document, which the dashboard's CSP
    // (style-src 'self', no inline styles) blocks; in a shadow root they are constructed style sheets
    // (adoptedStyleSheets), which the CSP allows. The page's colours and font still inherit into it.
    const root = host.current!.shadowRoot ?? host.current!.attachShadow({ mode: 'open' });
    const editor = new EditorView({
      root,
      parent: root,
      state: EditorState.create({
        doc: value,
        extensions: [
          keymap.of([
            {
              key: 'Mod-Enter',
              run: () => {
                callbacks.current.onRun?.();
                return callbacks.current.onRun !== undefined;
              },
            },
          ]),
          basicSetup,
          coloursSlot.current.of(coloursFor(isPageDark())),
          pageTheme,
          typeOverSelection,
          EditorView.theme({ '.cm-content, .cm-gutter': { minHeight } }),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          languageSlot.current.of(languageOf(language)),
          readOnlySlot.current.of(EditorState.readOnly.of(readOnly)),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) callbacks.current.onChange?.(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    const themeWatch = new MutationObserver(() =>
      editor.dispatch({ effects: coloursSlot.current.reconfigure(coloursFor(isPageDark())) }),
    );
    themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
    return () => {
      themeWatch.disconnect();
      editor.destroy();
      view.current = null;
    };
    // The editor is built once; value, language and readOnly changes are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: languageSlot.current.reconfigure(languageOf(language)) });
  }, [language]);

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlySlot.current.reconfigure(EditorState.readOnly.of(readOnly)) });
  }, [readOnly]);

  return (
    <div
      ref={host}
      className="overflow-auto rounded-md border border-zinc-300 focus-within:ring-2 focus-within:ring-emerald-500 dark:border-zinc-700"
    />
  );
}
