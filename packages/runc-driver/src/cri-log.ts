/** One line of a CRI (k8s-file) container log: `<RFC3339Nano time> <stream> <P|F> <content>`. */
export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** `false` for a partial line (`P`): the next line continues it. */
  full: boolean;
  content: string;
}

const LINE = /^(\S+) (stdout|stderr) (P|F) ?(.*)$/;

/** Parses a CRI log file's text; lines that do not match the format are skipped. */
export function parseCriLog(text: string): CriLogLine[] {
  const lines: CriLogLine[] = [];
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw);
    if (!m) continue;
    lines.push({ time: m[1] ?? '', stream: m[2] as 'stdout' | 'stderr', full: m[3] === 'F', content: m[4] ?? '' });
  }
  return lines;
}

/** Reassembles the messages of one stream (or both) from parsed CRI log lines, joining partial lines. */
export function criLogMessages(lines: readonly CriLogLine[], stream?: 'stdout' | 'stderr'): string[] {
  const messages: string[] = [];
  const pending = { stdout: '', stderr: '' };
  for (const line of lines) {
    if (stream && line.stream !== stream) continue;
    pending[line.stream] += line.content;
    if (line.full) {
      messages.push(pending[line.stream]);
      pending[line.stream] = '';
    }
  }
  return messages;
}
