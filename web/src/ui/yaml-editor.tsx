/** A YAML text editor with line numbers whose gutter marks the lines the server complained about. */
import { useRef, type UIEvent } from 'react';
import type { LineProblem } from '../api/yaml-text.js';

/** Props of the editor. */
export interface YamlEditorProps {
  value: string;
  onChange(v: string): void;
  problems: LineProblem[];
  label: string;
  id?: string;
}

/** The editor: a plain textarea (so every browser feature, undo and screen readers work). */
export function YamlEditor({ value, onChange, problems, label, id = 'yaml-editor' }: YamlEditorProps) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLPreElement>(null);
  const lines = value.split('\n').length;
  const bad = new Map<number, string[]>();
  for (const p of problems) bad.set(p.line, [...(bad.get(p.line) ?? []), p.field ? `${p.field}: ${p.message}` : p.message]);
  const sync = (e: UIEvent<HTMLTextAreaElement>) => {
    if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
  };
  const goTo = (line: number) => {
    const t = area.current;
    if (!t) return;
    const starts = [0];
    for (let i = 0; i < value.length; i++) if (value[i] === '\n') starts.push(i + 1);
    const start = starts[line - 1] ?? 0;
    const end = (starts[line] ?? value.length + 1) - 1;
    t.focus();
    t.setSelectionRange(start, end);
  };
  return (
    <div>
      <label htmlFor={id} className="field"><span>{label}</span></label>
      <div className="editor">
        <pre className="gutter" ref={gutter} aria-hidden="true" style={{ maxHeight: '36rem', overflow: 'hidden' }}>
          {Array.from({ length: lines }, (_, i) => (
            <span key={i} className={bad.has(i + 1) ? 'bad' : undefined} data-line={i + 1} title={bad.get(i + 1)?.join('\n')}>
              {bad.has(i + 1) ? '▶ ' : ''}{i + 1}
            </span>
          ))}
        </pre>
        <textarea
          id={id}
          ref={area}
          className="code"
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          onScroll={sync}
          style={{ maxHeight: '36rem' }}
          aria-invalid={problems.length > 0}
          aria-describedby={problems.length ? `${id}-problems` : undefined}
          rows={Math.min(30, Math.max(12, lines + 1))}
        />
      </div>
      {problems.length > 0 ? (
        <ul className="problems" id={`${id}-problems`} aria-label="Problems in the YAML">
          {problems.map((p, i) => (
            <li key={i} data-line={p.line} data-field={p.field}>
              <button type="button" onClick={() => goTo(p.line)}>Line {p.line}</button>
              {p.field ? <> · <code>{p.field}</code></> : null}: {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
