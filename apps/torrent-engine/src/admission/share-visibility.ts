import { ShareVisibilityStore, type Bus, type Logger } from '@bitween/bus';

/**
 * Which roster groups see each share, followed from the KV bucket `bitween_share_visibility`
 * (the api writes it; the gateway publishes by it; admission enforces it on the bytes:
 * share-access.ts). Null until the bucket was read once (the bucket is created if it does not
 * exist yet); a failed read is retried every `retryMs` (5 s) meanwhile. Once read it stays known:
 * later changes only replace it.
 */
export class ShareVisibilityFollower {
  #current: ReadonlyMap<string, readonly string[]> | null = null;
  #stop: (() => void) | null = null;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;
  #failures = 0;
  #loaded!: () => void;
  readonly #loadedOnce = new Promise<void>((resolve) => (this.#loaded = resolve));

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly opts: { onChange?: () => void; retryMs?: number } = {},
  ) {}

  /** Restricted shares (info-hash → groups); null while not read yet. */
  current(): ReadonlyMap<string, readonly string[]> | null {
    return this.#current;
  }

  /** Resolves once the bucket was read, or after `timeoutMs` (whichever comes first). */
  async loaded(timeoutMs: number): Promise<void> {
    if (this.#current) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#loadedOnce,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  start(): void {
    void this.#follow();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#stop?.();
  }

  async #follow(): Promise<void> {
    try {
      const store = await ShareVisibilityStore.open(this.bus.nc, this.log);
      const stop = await store.watch((visibility) => {
        const first = this.#current === null;
        this.#current = visibility;
        if (first) this.#loaded();
        // (A share's restriction reaches new wires from here on; open ones are checked in onChange.)
        this.log[first ? 'info' : 'debug']({ restricted: visibility.size }, 'share visibility');
        this.opts.onChange?.();
      });
      if (this.#stopped) stop();
      else this.#stop = stop;
    } catch (err) {
      if (this.#stopped) return;
      const line = { err, retryMs: this.opts.retryMs ?? 5_000 };
      const msg = 'could not read the share visibility bucket: contacts are refused shares until it is read';
      if (this.#failures++ === 0) this.log.warn(line, msg);
      else this.log.debug(line, msg);
      this.#timer = setTimeout(() => void this.#follow(), this.opts.retryMs ?? 5_000);
      this.#timer.unref();
    }
  }
}
