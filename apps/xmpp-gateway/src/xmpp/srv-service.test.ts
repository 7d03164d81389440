import type { SrvRecord } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { connectBySrv, srvServiceUris } from './srv-service.js';

const srv = (name: string, port: number, priority = 0, weight = 5): SrvRecord => ({
  name,
  port,
  priority,
  weight,
});

/** A DNS stand-in: SRV records by name; others answer ENOTFOUND as c-ares does. */
function zone(records: Record<string, SrvRecord[]>, failing: Record<string, string> = {}) {
  const asked: string[] = [];
  const resolveSrv = (name: string) => {
    asked.push(name);
    if (failing[name])
      return Promise.reject(Object.assign(new Error(failing[name]), { code: failing[name] }));
    const found = records[name];
    return found
      ? Promise.resolve(found)
      : Promise.reject(Object.assign(new Error(`querySrv ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
  };
  return { resolveSrv, asked };
}

describe('srvServiceUris', () => {
  it('finds a server named only by SRV (the domain itself has no address)', async () => {
    const { resolveSrv, asked } = zone({ '_xmpp-client._tcp.a.example': [srv('xmpp.a.example', 5222)] });
    expect(await srvServiceUris('a.example', resolveSrv)).toEqual(['xmpp://xmpp.a.example:5222']);
    expect(asked.sort()).toEqual(['_xmpp-client._tcp.a.example', '_xmpps-client._tcp.a.example']);
  });

  it('orders by priority, then weight, direct TLS first on a tie; drops "." and duplicates', async () => {
    const { resolveSrv } = zone({
      '_xmpps-client._tcp.b.example': [srv('tls.b.example', 5223, 10), srv('.', 0, 0)],
      '_xmpp-client._tcp.b.example': [
        srv('backup.b.example.', 5222, 20),
        srv('light.b.example', 5222, 10, 1),
        srv('tls.b.example', 5222, 10),
        srv('light.b.example', 5222, 10, 1),
      ],
    });
    expect(await srvServiceUris('b.example', resolveSrv)).toEqual([
      'xmpps://tls.b.example:5223',
      'xmpp://tls.b.example:5222',
      'xmpp://light.b.example:5222',
      'xmpp://backup.b.example:5222',
    ]);
  });

  it('is empty without records (ENOTFOUND, ENODATA) and rejects on other DNS failures', async () => {
    const none = zone({}, { '_xmpps-client._tcp.c.example': 'ENODATA' });
    expect(await srvServiceUris('c.example', none.resolveSrv)).toEqual([]);
    const broken = zone({}, { '_xmpp-client._tcp.d.example': 'ESERVFAIL' });
    await expect(srvServiceUris('d.example', broken.resolveSrv)).rejects.toThrow('ESERVFAIL');
  });
});

describe('connectBySrv', () => {
  /** An xmpp.js entity stand-in: records the services it was asked to connect to; `refuse` fail. */
  function entity(refuse: string[] = []) {
    const tried: string[] = [];
    const e = {
      connect(service: string): Promise<unknown> {
        tried.push(service);
        return refuse.includes(service)
          ? Promise.reject(new Error(`connect ECONNREFUSED ${service}`))
          : Promise.resolve();
      },
    };
    return { e, tried };
  }

  it('connects to the SRV targets in order until one answers', async () => {
    const { e, tried } = entity(['xmpp://one.a.example:5222']);
    connectBySrv(e, () => Promise.resolve(['xmpp://one.a.example:5222', 'xmpp://two.a.example:5222']));
    await e.connect('a.example');
    expect(tried).toEqual(['xmpp://one.a.example:5222', 'xmpp://two.a.example:5222']);
  });

  it('rejects with the last error when none answers', async () => {
    const { e } = entity(['xmpp://one.a.example:5222']);
    connectBySrv(e, () => Promise.resolve(['xmpp://one.a.example:5222']));
    await expect(e.connect('a.example')).rejects.toThrow('ECONNREFUSED xmpp://one.a.example:5222');
  });

  it('leaves a service URI alone and falls back to the domain without SRV records', async () => {
    const { e, tried } = entity();
    let resolved = 0;
    connectBySrv(e, () => {
      resolved++;
      return Promise.resolve([]);
    });
    await e.connect('xmpp://127.0.0.1:5222');
    await e.connect('a.example');
    expect(tried).toEqual(['xmpp://127.0.0.1:5222', 'a.example']);
    expect(resolved).toBe(1);
  });
});
