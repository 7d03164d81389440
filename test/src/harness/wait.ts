export interface WaitOptions {
  /** Shown in the timeout error: "timed out after Nms waiting for <what>". */
  what: string;
  /** Default 60 000. */
  timeoutMs?: number;
  /** Pause between two checks; default 50. */
  intervalMs?: number;
}

type Falsy = undefined | null | false;

const TIMED_OUT = Symbol('timed out');

/**
 * Polls `check` until it returns a truthy value, and returns that value. A check that throws is
 * retried (its last error is quoted if the wait times out); a check that hangs is abandoned at the
 * deadline. Note that `0` and `''` are falsy: return an object or `true` to stop waiting.
 */
export async function waitFor<T>(check: () => T | Falsy | Promise<T | Falsy>, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let failed = false;
  let hung = false;
  for (;;) {
    const started = Date.now();
    const budget = deadline - started;
    try {
      const value = await within(Promise.resolve().then(check), budget);
      // Abandoned at the deadline. A check started with less than one interval left (the usual
      // last one) had no time to answer: that says nothing of the check, so it is not called hung.
      if (value === TIMED_OUT) hung ||= budget >= intervalMs;
      else if (value) return value;
    } catch (err) {
      failed = true;
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const cause = hung
        ? `; the last check had not returned after ${Date.now() - started}ms`
        : failed
          ? `; last error: ${describeError(lastError)}`
          : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${opts.what}${cause}`, {
        cause: lastError,
      });
    }
    await delay(Math.min(intervalMs, left));
  }
}

/** Resolves with `p`'s value, or with TIMED_OUT if `ms` pass first. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms), TIMED_OUT);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * An append-only list (log lines, output lines) that can be waited on, event-driven: `wait` looks at
 * the items already there, then at each new one as it is pushed, with no polling.
 */
export class Feed<T> {
  readonly items: T[] = [];
  readonly #listeners = new Set<() => void>();
  readonly #format: (item: T) => string;
  #ended: string | undefined;

  /** `format` renders an item in error messages. */
  constructor(format: (item: T) => string) {
    this.#format = format;
  }

  push(item: T): void {
    this.items.push(item);
    this.#notify();
  }

  /** No more items will come (e.g. the process exited); pending and later waits reject with `reason`. */
  end(reason: string): void {
    this.#ended ??= reason;
    this.#notify();
  }

  /** The last `n` items, one per line, for error messages. */
  tail(n = 30): string {
    return this.items.slice(-n).map(this.#format).join('\n');
  }

  /** Resolves with the first item, already there or still to come, for which `match` returns true. */
  wait(match: (item: T) => boolean, opts: { what: string; timeoutMs?: number }): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise<T>((resolve, reject) => {
      let next = 0;
      const fail = (why: string) => {
        const tail = this.tail();
        return new Error(`${why} waiting for ${opts.what}${tail ? `; last lines:\n${tail}` : ''}`);
      };
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        outcome();
      };
      const check = () => {
        try {
          for (; next < this.items.length; next++) {
            const item = this.items[next] as T;
            if (match(item)) return settle(() => resolve(item));
          }
        } catch (err) {
          return settle(() => reject(err instanceof Error ? err : new Error(String(err))));
        }
        if (this.#ended !== undefined) settle(() => reject(fail(`${this.#ended} while`)));
      };
      const timer = setTimeout(() => settle(() => reject(fail(`timed out after ${timeoutMs}ms`))), timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
