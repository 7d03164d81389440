import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { xmpp } from '@bitween/messages';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';

export const OFFERS_FILE = 'offers.json';

const Stored = z.object({
  /** The account (bare JID) the offers were sent to: another account's are not loaded. */
  account: z.string(),
  offers: z.array(xmpp.Offer).max(xmpp.MAX_OFFERS),
});

/**
 * The offers, kept in the gateway's data dir (as the account and the rendezvous secret are):
 * written atomically (temp file, fsync, rename). A file that cannot be read or fails its schema
 * is logged by the caller and the offers start empty.
 */
export class OfferFile {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, OFFERS_FILE);
  }

  /** The offers stored for `account`; [] when there is no file or it is another account's. */
  async load(account: string): Promise<xmpp.Offer[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const parsed = Stored.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`${this.path}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return parsed.data.account === account ? parsed.data.offers : [];
  }

  async save(account: string, offers: readonly xmpp.Offer[]): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.path, `${JSON.stringify({ account, offers })}\n`, {
      mode: 0o600,
      fsync: true,
    });
  }
}
