import { xmpp, type TicketTable } from '@bitween/messages';
import type { Bus, Logger, Subscription } from '@bitween/bus';
import { ticketKey } from './proof.js';

interface Book {
  self: string;
  issued: Map<string, Buffer>;
  received: Map<string, Buffer>;
  legacy: Set<string>;
  /** Each contact's roster groups (per-group visibility: share-access.ts); absent: in none. */
  groups: Map<string, readonly string[]>;
  revision: number;
}

/**
 * The gateway's ticket table (`xmpp.tickets`), kept in memory: fetched at start, on every
 * `xmpp.tickets-changed`, every `refreshMs`, and on demand when a peer names a contact we know no
 * ticket for (at most once per `minAgeMs`). The gateway may be down: the last table stays in use;
 * until a first table arrives, `table` is null (the engine then admits contacts by address, as
 * before tickets existed: see rules.ts).
 */
export class TicketBook {
  #book: Book | null = null;
  #fetchedAt = 0;
  #inflight: Promise<void> | null = null;
  #sub: Subscription | null = null;
  #timer: NodeJS.Timeout | null = null;
  #warned = false;

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly opts: { refreshMs?: number; minAgeMs?: number; onChange?: () => void } = {},
  ) {}

  start(): void {
    this.#sub = this.bus.subscribe(xmpp.ticketsChanged, ({ revision }) => {
      if (this.#book && revision <= this.#book.revision) return;
      void this.fetch();
    });
    this.#timer = setInterval(() => void this.fetch(), this.opts.refreshMs ?? 60_000);
    this.#timer.unref();
    void this.fetch();
  }

  stop(): void {
    this.#sub?.unsubscribe();
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Null until the gateway answered once. */
  get table(): Readonly<Book> | null {
    return this.#book;
  }

  self(): string {
    return this.#book?.self ?? '';
  }

  issued(jid: string): Buffer | undefined {
    return this.#book?.issued.get(jid.toLowerCase());
  }

  received(jid: string): Buffer | undefined {
    return this.#book?.received.get(jid.toLowerCase());
  }

  /** A contact's roster groups (undefined: in none); null until the gateway answered once. */
  get groupsOf(): ((jid: string) => readonly string[] | undefined) | null {
    const book = this.#book;
    return book ? (jid) => book.groups.get(jid.toLowerCase()) : null;
  }

  /** Fetch again unless the table is younger than `minAgeMs` (2 s); never rejects. */
  refresh(): Promise<void> {
    if (Date.now() - this.#fetchedAt < (this.opts.minAgeMs ?? 2_000))
      return this.#inflight ?? Promise.resolve();
    return this.fetch();
  }

  /** Fetch now (one request at a time); never rejects. */
  fetch(): Promise<void> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<void> {
    this.#fetchedAt = Date.now();
    const r = await this.bus.request(xmpp.tickets, {}, { timeoutMs: 5_000 });
    if (!r.ok) {
      if (!this.#book && !this.#warned) {
        this.#warned = true;
        this.log.warn(
          { code: r.error.code },
          'no ticket table from the gateway (not up yet, or an older one): contacts are admitted by the addresses they announce until it answers',
        );
      } else {
        this.log.debug({ code: r.error.code }, 'could not fetch the ticket table (keeping the last one)');
      }
      return;
    }
    const before = this.#book?.revision;
    this.#book = toBook(r.value, this.log);
    if (before !== r.value.revision) {
      this.log.info(
        {
          revision: r.value.revision,
          issued: r.value.issued.length,
          received: r.value.received.length,
          legacy: r.value.legacy.length,
        },
        'ticket table',
      );
      this.opts.onChange?.();
    }
  }
}

function toBook(t: TicketTable, log: Logger): Book {
  const keys = (entries: { jid: string; ticket: string }[]) => {
    const map = new Map<string, Buffer>();
    for (const { jid, ticket } of entries) {
      try {
        map.set(jid.toLowerCase(), ticketKey(ticket));
      } catch {
        log.warn({ jid }, 'ignored a ticket that is not 32 bytes');
      }
    }
    return map;
  };
  return {
    self: t.self.toLowerCase(),
    issued: keys(t.issued),
    received: keys(t.received),
    legacy: new Set(t.legacy.map((j) => j.toLowerCase())),
    groups: new Map(t.issued.flatMap(({ jid, groups }) => (groups ? [[jid.toLowerCase(), groups]] : []))),
    revision: t.revision,
  };
}
