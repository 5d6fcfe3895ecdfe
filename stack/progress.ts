import cliProgress from 'cli-progress';

/**
 * Progress of long stack work (downloads, builds, start-up). On a terminal: one bar over the
 * steps, with the current step and its latest detail (the artifact Maven is fetching, the package
 * Go is building). Elsewhere (CI logs): one line per step and a detail line at most every 5 s.
 */
export interface Progress {
  step(label: string): void;
  detail(text: string): void;
  note(text: string): void;
  done(): void;
}

const DETAIL_INTERVAL_MS = 5_000;

class LineProgress implements Progress {
  #current = 0;
  #lastDetail = 0;
  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WritableStream,
  ) {}

  step(label: string): void {
    this.#current += 1;
    this.out.write(`[${this.#current}/${this.total}] ${label}\n`);
  }

  detail(text: string): void {
    const now = Date.now();
    if (now - this.#lastDetail < DETAIL_INTERVAL_MS) return;
    this.#lastDetail = now;
    this.out.write(`      … ${text.slice(0, 160)}\n`);
  }

  note(text: string): void {
    this.out.write(`      ${text}\n`);
  }

  done(): void {}
}

class BarProgress implements Progress {
  readonly #bar: cliProgress.SingleBar;
  #current = 0;
  #label = '';

  constructor(total: number, stream: NodeJS.WritableStream) {
    this.#bar = new cliProgress.SingleBar(
      {
        format: ' {bar} {value}/{total} | {label} {detail}',
        hideCursor: true,
        clearOnComplete: false,
        stream: stream,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(total, 0, { label: '', detail: '' });
  }

  step(label: string): void {
    this.#label = label;
    this.#bar.update(this.#current, { label, detail: '' });
    this.#current += 1;
  }

  detail(text: string): void {
    this.#bar.update(this.#current - 1, { label: this.#label, detail: text.slice(0, 60) });
  }

  note(text: string): void {
    this.#bar.update(this.#current, { label: this.#label, detail: '' });
    this.#bar.stop();
    process.stderr.write(`      ${text}\n`);
    this.#bar.start(this.#bar.getTotal(), this.#current, { label: this.#label, detail: '' });
  }

  done(): void {
    this.#bar.update(this.#bar.getTotal(), { label: 'done', detail: '' });
    this.#bar.stop();
  }
}

export function createProgress(total: number, stream: NodeJS.WritableStream = process.stderr): Progress {
  const tty = (stream as NodeJS.WriteStream).isTTY === true && process.env['CI'] === undefined;
  return tty ? new BarProgress(total, stream) : new LineProgress(total, stream);
}

export const silentProgress: Progress = { step: () => {}, detail: () => {}, note: () => {}, done: () => {} };
