import type { Logger } from '@bitween/bus';
import type { XmppSession } from './session.js';
import type { UploadPace } from './upload-pace.js';

/**
 * The resource of the bulk session: `!bulk-<random>`, which must sort (bytewise, as Erlang
 * compares binaries) before our main resource. ejabberd 23.01 sends an account's PEP
 * notifications through the session of its greatest resource (mod_pubsub `user_resource` takes
 * the first of `ejabberd_sm:get_user_resources`, sorted in descending order), using that
 * session's presence state: through a presence-less session it sends none. null when no such
 * name exists (a main resource starting with `!` or a smaller character): no bulk session then.
 */
export function bulkResource(mainResource: string, random: string): string | null {
  const name = `!bulk-${random}`;
  return Buffer.compare(Buffer.from(name), Buffer.from(mainResource)) < 0 ? name : null;
}

/** `log` with `session: 'bulk'` on every line (the bulk session's own logs, its pace's). */
export function bulkLog(log: Logger): Logger {
  const tag = <T extends object>(obj: T) => ({ session: 'bulk', ...obj });
  return {
    debug: (obj, msg) => log.debug(tag(obj), msg),
    info: (obj, msg) => log.info(tag(obj), msg),
    warn: (obj, msg) => log.warn(tag(obj), msg),
    error: (obj, msg) => log.error(tag(obj), msg),
  };
}

export interface BulkSessionOptions {
  /** A presence-less session of our account (`presenceless: true`), its own connection. */
  session: XmppSession;
  /** Its own pace: servers limit each client connection separately. */
  pace: UploadPace;
  log: Logger;
}

/** What a bulk upload goes through: the bulk session, at its own pace. */
export interface BulkChannel {
  session: XmppSession;
  pace: UploadPace;
}

/**
 * A second, presence-less session of our account that carries the share list's bulk uploads
 * (`current`, a first publish's buckets), so that a change, presence and everything else on the
 * main session never queue behind them: Prosody's mod_limits and ejabberd's shaper read each
 * client connection at their rate separately. Contacts never see it (no presence) and it
 * receives no notifications. While it is not online (not logged in yet, reconnecting, refused:
 * e.g. a server that caps sessions), callers publish through the main session as before; that is
 * logged once per outage, at info.
 */
export class BulkSession {
  #fellBack = false;
  #everOnline = false;

  constructor(private readonly opts: BulkSessionOptions) {
    opts.session.on('online', () => {
      this.#fellBack = false;
      this.#everOnline = true;
      opts.log.info(
        { resource: opts.session.resource },
        'bulk session online: bulk publishing goes through it',
      );
      void opts.pace.detect(opts.session);
    });
  }

  /** The bulk session and its pace if it is online; else null (publish through the main session), noted once. */
  use(): BulkChannel | null {
    if (this.opts.session.online) return { session: this.opts.session, pace: this.opts.pace };
    if (!this.#fellBack) {
      this.#fellBack = true;
      this.opts.log.info(
        { resource: this.opts.session.resource, wasOnline: this.#everOnline },
        'bulk session not online: bulk publishing goes through the main session',
      );
    }
    return null;
  }

  start(): void {
    this.opts.session.start();
  }

  stop(): Promise<void> {
    return this.opts.session.stop();
  }
}
