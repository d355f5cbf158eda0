/** A followed log: lines as they arrive, kept scrolled to the end unless the reader scrolled up. */
import { useLayoutEffect, useRef, useState } from 'react';
import type { TextStreamState } from '../api/text-stream.js';
import { ErrorBox } from './common.js';

/** Renders a log stream with auto-scroll. */
export function LogView({ stream, label, empty }: { stream: TextStreamState; label: string; empty: string }) {
  const ref = useRef<HTMLPreElement>(null);
  const [stick, setStick] = useState(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick) el.scrollTop = el.scrollHeight;
  }, [stream.lines, stick]);
  const onScroll = () => {
    const el = ref.current;
    if (el) setStick(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
  };
  const state = stream.error ? 'stopped' : stream.connected ? '● Following' : stream.ended ? 'Ended' : 'Connecting…';
  return (
    <div>
      <div className="row small" style={{ justifyContent: 'space-between', marginBottom: '.35rem' }}>
        <span className={stream.connected ? 'live' : 'live off'} role="status">{state}{stream.dropped ? ` · ${stream.dropped} older lines not kept` : ''}</span>
        {!stick ? <button type="button" onClick={() => setStick(true)}>Jump to the end</button> : null}
      </div>
      <ErrorBox error={stream.error} title="Log not available" />
      <pre ref={ref} className="code logs" aria-label={label} aria-live="off" tabIndex={0} onScroll={onScroll} data-lines={stream.lines.length}>
        {stream.lines.length ? stream.lines.join('\n') : <span className="muted">{empty}</span>}
      </pre>
    </div>
  );
}
