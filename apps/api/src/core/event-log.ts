import { streams, subjects } from '@bitween/messages';
import type { NatsConnection } from '@bitween/bus';
import type { Logger } from '@bitween/runtime';
import {
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';

/** The JetStream stream that records every bitween event (`bitween.v1.evt.>`). */
export const EVENTS_STREAM = streams.events;

const EVT_PREFIX = `${subjects.events.all.slice(0, -1)}`; // 'bitween.v1.evt.'

export interface EventLimits {
  /** Events older than this are dropped. */
  maxAgeMs: number;
  /** At most this many events are kept (the oldest go first). */
  maxEvents: number;
  /** At most this many bytes are kept. */
  maxBytes: number;
}

/** One recorded event; `id` is the stream sequence number: +1 per event, survives restarts. */
export interface StoredEvent {
  id: number;
  /** e.g. `torrent.progress`, `torrent.added`, `xmpp.contact-shares`. */
  type: string;
  /** ISO time the event was recorded. */
  time: string;
  /** The info-hash for torrent events. */
  hash?: string;
  data: unknown;
}

/** Where a reader stands: what is kept, and how many events it asked for are gone. */
export interface Position {
  /** The oldest id still kept (lastId + 1 when nothing is kept). */
  firstId: number;
  /** The id of the newest event (0 before the first). */
  lastId: number;
  /** Events after `since` that were dropped by the limits before they were read. */
  missed: number;
  /** `since` was beyond the newest id: the stream was recreated (ids started again). */
  reset: boolean;
  /** The id reading starts after. */
  after: number;
}

/** `bitween.v1.evt.torrent.<hash>.progress` → type `torrent.progress`, hash; others: the rest of the subject. */
export function typeOfSubject(subject: string): { type: string; hash?: string } {
  const rest = subject.startsWith(EVT_PREFIX) ? subject.slice(EVT_PREFIX.length) : subject;
  const tokens = rest.split('.');
  if (tokens[0] === 'torrent' && tokens.length === 3 && tokens[1] && tokens[2]) {
    return { type: `torrent.${tokens[2]}`, hash: tokens[1] };
  }
  return { type: rest };
}

export function toStoredEvent(m: Pick<JsMsg, 'seq' | 'subject' | 'data' | 'timestampNanos'>): StoredEvent {
  let data: unknown = null;
  try {
    data = JSON.parse(new TextDecoder().decode(m.data));
  } catch {
    // Not JSON: published by something other than bitween's bus. Kept with null data.
  }
  const time = new Date(Number(m.timestampNanos / 1_000_000n)).toISOString();
  return { id: m.seq, ...typeOfSubject(m.subject), time, data };
}

/**
 * The api's view of the events stream: created (or its limits updated) at start-up, read with
 * ordered consumers from any id. The services publish on core NATS; JetStream records whatever
 * is published on `bitween.v1.evt.>`, so the recording does not depend on the api running.
 */
export class EventLog {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly log: Logger,
  ) {}

  static config(limits: EventLimits): Partial<StreamConfig> & { name: string; subjects: string[] } {
    return {
      name: EVENTS_STREAM,
      subjects: [subjects.events.all],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: limits.maxAgeMs * 1_000_000,
      max_msgs: limits.maxEvents,
      max_bytes: limits.maxBytes,
      // Events are never published with a Nats-Msg-Id: no duplicate window to keep.
      duplicate_window: 1_000_000_000,
    };
  }

  static async open(nc: NatsConnection, log: Logger, limits: EventLimits): Promise<EventLog> {
    const jsm = await jetstreamManager(nc);
    const config = EventLog.config(limits);
    try {
      await jsm.streams.info(EVENTS_STREAM);
      await jsm.streams.update(EVENTS_STREAM, config);
    } catch (err) {
      if (!/stream not found/i.test((err as Error).message)) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        // Another api instance created it first.
        if (!/already in use|exists/i.test((addErr as Error).message)) throw addErr;
      }
    }
    return new EventLog(jetstream(nc), jsm, log);
  }

  /** Kept range and where a reader asking for events after `since` starts (`undefined`: new ones only). */
  async position(since: number | undefined): Promise<Position> {
    const { state } = await this.jsm.streams.info(EVENTS_STREAM);
    const lastId = state.last_seq;
    const firstId = state.messages > 0 ? state.first_seq : lastId + 1;
    if (since === undefined) return { firstId, lastId, missed: 0, reset: false, after: lastId };
    if (since > lastId) {
      // Ids went backwards: the stream (NATS's storage) was recreated. Start from what is kept.
      return { firstId, lastId, missed: 0, reset: true, after: firstId - 1 };
    }
    return { firstId, lastId, missed: Math.max(0, firstId - 1 - since), reset: false, after: since };
  }

  async #messages(after: number): Promise<ConsumerMessages> {
    const consumer = await this.js.consumers.get(EVENTS_STREAM, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: after + 1,
    });
    return consumer.consume({ max_messages: 256 });
  }

  /**
   * Events with ids after `after`: returns as soon as at least one is there (with every one
   * already waiting, up to `limit`), or `[]` when `timeoutMs` passes first or `signal` aborts.
   */
  async read(
    after: number,
    opts: { limit: number; timeoutMs: number; signal?: AbortSignal },
  ): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), opts.timeoutMs);
    const onAbort = () => stop.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) stop.abort();
    try {
      for await (const { pending, ...e } of this.follow(after, stop.signal)) {
        out.push(e);
        if (out.length >= opts.limit || pending === 0) break;
      }
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    return out;
  }

  /**
   * Every event after `after`, then each new one, until `signal` aborts. (The wait for the next
   * message is raced against the abort: stopping a consumer does not always end a pending wait.)
   */
  async *follow(after: number, signal: AbortSignal): AsyncGenerator<StoredEvent & { pending: number }> {
    if (signal.aborted) return;
    const aborted = new Promise<IteratorReturnResult<undefined>>((resolve) =>
      signal.addEventListener('abort', () => resolve({ done: true, value: undefined }), { once: true }),
    );
    const messages = await this.#messages(after);
    const iterator = messages[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), aborted]);
        if (next.done) return;
        yield { ...toStoredEvent(next.value), pending: next.value.info.pending };
      }
    } catch (err) {
      if (!signal.aborted) this.log.warn({ err }, 'event stream reader failed');
      throw err;
    } finally {
      void messages.stop();
    }
  }
}
