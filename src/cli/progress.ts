// Progress of a long command on stderr: a redrawn bar with rate and ETA on a terminal,
// plain lines (every few seconds and at the end) when stderr is a file or a pipe.
export interface Progress {
  update(done: number, note?: string): void;
  finish(note?: string): void;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export function createProgress(label: string, total: number, opts: { stream?: NodeJS.WriteStream; enabled?: boolean; now?: () => number } = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => performance.now());
  const tty = Boolean(stream.isTTY);
  const started = now();
  let lastDraw = -Infinity;
  let lastDone = 0;
  let printed = -1;

  function text(done: number, note: string | undefined): { bar: string; plain: string } {
    const elapsed = (now() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const pct = total ? Math.floor((done / total) * 100) : 100;
    const stats = `${fmt(done)}/${fmt(total)} ${pct}%  ${fmt(Math.round(rate))}/s  ETA ${duration(eta)}${note ? `  ${note}` : ''}`;
    const width = 24;
    const filled = total ? Math.round((done / total) * width) : width;
    return { bar: `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${stats}`, plain: `${label}: ${stats}` };
  }

  return {
    update(done, note) {
      lastDone = done;
      if (opts.enabled === false) return;
      const t = now();
      if (tty) {
        if (t - lastDraw < 100 && done < total) return;
        lastDraw = t;
        stream.write(`\r\x1b[2K${text(done, note).bar}`);
      } else {
        if (t - lastDraw < 2000 && done < total) return;
        lastDraw = t;
        printed = done;
        stream.write(`${text(done, note).plain}\n`);
      }
    },
    finish(note) {
      if (opts.enabled === false) return;
      const { bar, plain } = text(lastDone, note);
      if (tty) stream.write(`\r\x1b[2K${bar}\n`);
      else if (printed !== lastDone) stream.write(`${plain}\n`);
    },
  };
}
