import type { Logger } from '@bitween/bus';
import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import type { XmppSession } from './session.js';
import { UploadPace, stockUpload } from './upload-pace.js';

function logger() {
  const lines: { obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (obj: object, msg?: string): void => {
    lines.push({ obj: obj as Record<string, unknown>, msg });
  };
  const log: Logger = { debug: at, info: at, warn: at, error: at };
  return { log, lines };
}

/** The one session call UploadPace makes: a XEP-0092 version query to our server. */
function server(answer: () => Promise<ReturnType<typeof xml> | undefined>) {
  const asked: string[] = [];
  const session = {
    domain: 'example.org',
    iq: (_type: string, to: string) => {
      asked.push(to);
      return answer();
    },
  } as unknown as XmppSession;
  return { session, asked };
}

const version = (name: string) =>
  xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, name), xml('version', {}, '1'));

describe('the pace of bulk sending', () => {
  it('stock limits: Prosody’s for Prosody, ejabberd’s (the strictest) for anything else', () => {
    expect(stockUpload('Prosody')).toEqual({ bytesPerSecond: 8_000, burstBytes: 16_000 });
    expect(stockUpload('ejabberd')).toEqual({ bytesPerSecond: 2_400, burstBytes: 16_000 });
    expect(stockUpload(null)).toEqual({ bytesPerSecond: 2_400, burstBytes: 16_000 });
  });

  it('paces for the server’s software once it is known', async () => {
    const { log, lines } = logger();
    const { session, asked } = server(() => Promise.resolve(version('Prosody')));
    await new UploadPace(undefined, log).detect(session);
    expect(asked).toEqual(['example.org']);
    expect(lines.map((l) => [l.msg, l.obj['server'], l.obj['bytesPerSecond']])).toEqual([
      ['pacing bulk sending for our server', 'Prosody', 8_000],
    ]);
  });

  it('keeps the strictest stock limit when the server does not say', async () => {
    const { log, lines } = logger();
    const { session } = server(() => Promise.reject(new Error('feature-not-implemented')));
    await new UploadPace(undefined, log).detect(session);
    expect(lines.map((l) => [l.msg, l.obj['bytesPerSecond']])).toEqual([
      ['server software unknown; pacing bulk sending for the strictest stock limit', 2_400],
    ]);
  });

  it('background sending waits while a bulk sender waits for spare burst', async () => {
    const { log } = logger();
    const pace = new UploadPace({ bytesPerSecond: 20_000, burstBytes: 2_000 }, log);
    await pace.take(2_000); // the bucket is empty: ~0.1 s to refill
    const order: string[] = [];
    const bulk = pace.spare(2_000, 0).then(async () => {
      order.push('bulk');
      await pace.take(2_000);
    });
    // Alone, 100 bytes would go after ~5 ms, long before the bucket is full again.
    const background = pace.takeSpare(100, 0).then(() => order.push('background'));
    await Promise.all([bulk, background]);
    expect(order).toEqual(['bulk', 'background']);
  });

  it('a configured rate is kept: the server is not asked', async () => {
    const { log, lines } = logger();
    const { session, asked } = server(() => Promise.resolve(version('Prosody')));
    await new UploadPace({ bytesPerSecond: 50_000 }, log).detect(session);
    expect(asked).toEqual([]);
    expect(lines).toEqual([]);
  });
});
