import type { Logger } from '@bitween/bus';
import xml from '@xmpp/xml';
import { Pacer } from './pacer.js';
import type { XmppSession } from './session.js';

/**
 * What Debian's stock configs let a client send, with 20 % left for other traffic: ejabberd
 * 23.01 `shaper: normal` 3000 B/s (burst 20,000), Prosody 0.12 mod_limits `c2s = 10kb/s` (10,000
 * B/s; on its default epoll backend without the 2 s burst: `conn:setlimit`, so our burst only
 * queues there). Unknown servers get ejabberd's.
 */
export function stockUpload(software: string | null): { bytesPerSecond: number; burstBytes: number } {
  if (software && /prosody/i.test(software)) return { bytesPerSecond: 8_000, burstBytes: 16_000 };
  return { bytesPerSecond: 2_400, burstBytes: 16_000 };
}

/**
 * Burst that background and bulk sending leave in the pace for a change of the share list: a
 * one-share change of a list in buckets is ~9 kB with envelopes (a bucket ~7 kB, the index ~2 kB),
 * which then goes out at once and, as we stay below the server's rate, is read at once too.
 */
export const FOREGROUND_RESERVE_BYTES = 10_000;

/** A configured pace of bulk sending; unset parts come from the server's software. */
export interface UploadSettings {
  bytesPerSecond?: number;
  burstBytes?: number;
}

/**
 * The pace of bulk sending (list publishing, bucket fetches) for our server: the configured one,
 * else chosen from the server's software (XEP-0092) once it is known, else the strictest stock
 * limit known. Every bulk sender shares one pace.
 */
export class UploadPace {
  #pacer: Pacer;
  /** Callers of spare() waiting: background sending (takeSpare) waits for them. */
  #ahead = 0;

  constructor(
    private readonly configured: UploadSettings | undefined,
    private readonly log: Logger,
  ) {
    this.#pacer = this.#make(null);
  }

  /**
   * Resolves when a stanza of `bytes` may be sent; with `reserve`, once that much burst would be
   * left after it (bulk sending, served in turn with everything else).
   */
  take(bytes: number, reserve = 0): Promise<void> {
    return this.#pacer.take(bytes, reserve);
  }

  /**
   * Like take(), for background sending: waits until the pace would still have `reserve` bytes
   * of burst left after this stanza, so foreground bulk sending (a change of the share list) is
   * never held up by it.
   */
  async takeSpare(bytes: number, reserve: number): Promise<void> {
    for (;;) {
      const wait = this.#ahead > 0 ? 100 : this.#pacer.delayFor(bytes + reserve);
      if (wait <= 0) return this.take(bytes);
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, Math.ceil(wait))));
    }
  }

  /**
   * Resolves once a stanza of `bytes` would leave `reserve` bytes of burst; takes nothing, and
   * holds takeSpare()'s callers back meanwhile (a stanza larger than the burst, which waits for a
   * full bucket, would otherwise wait for the whole background to be sent).
   */
  async spare(bytes: number, reserve: number): Promise<void> {
    this.#ahead += 1;
    try {
      for (;;) {
        const wait = this.#pacer.delayFor(bytes + reserve);
        if (wait <= 0) return;
        await new Promise((resolve) => setTimeout(resolve, Math.max(50, Math.ceil(wait))));
      }
    } finally {
      this.#ahead -= 1;
    }
  }

  /** Ask our server's software (XEP-0092) and pace for it, unless a rate is configured. */
  async detect(session: XmppSession): Promise<void> {
    if (this.configured?.bytesPerSecond !== undefined) return;
    try {
      const query = await session.iq(
        'get',
        session.domain,
        xml('query', { xmlns: 'jabber:iq:version' }),
        10_000,
      );
      const name = query?.getChildText('name') ?? null;
      this.#pacer = this.#make(name);
      this.log.info(
        { server: name?.slice(0, 100) ?? null, bytesPerSecond: this.#pacer.bytesPerSecond },
        'pacing bulk sending for our server',
      );
    } catch {
      this.log.info(
        { bytesPerSecond: this.#pacer.bytesPerSecond },
        'server software unknown; pacing bulk sending for the strictest stock limit',
      );
    }
  }

  #make(software: string | null): Pacer {
    const stock = stockUpload(software);
    return new Pacer(
      this.configured?.bytesPerSecond ?? stock.bytesPerSecond,
      this.configured?.burstBytes ?? stock.burstBytes,
    );
  }
}
