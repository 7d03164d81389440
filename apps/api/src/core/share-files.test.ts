import { describe, expect, it } from 'vitest';
import { CoreError } from './errors.js';
import { offersOf } from './share-files.js';

const H = 'b'.repeat(40);
const share = { hash: H, name: 'album', size: 3 };

describe('offersOf', () => {
  it("gives the online instances' endpoints, named by the friend, a LAN one with the public evidence", () => {
    const offers = offersOf(
      {
        jid: 'alice@x',
        receivedAt: 0,
        resources: [
          {
            resource: 'home',
            online: true,
            endpoints: [
              { address: '192.168.1.20', port: 8000 },
              { address: '203.0.113.5', port: 8000 },
            ],
            shares: [share],
          },
          {
            resource: 'laptop',
            online: false,
            endpoints: [{ address: '198.51.100.1', port: 1 }],
            shares: [share],
          },
          { resource: 'other', online: true, endpoints: [{ address: '198.51.100.2', port: 2 }], shares: [] },
        ],
      },
      H,
    );
    expect(offers).toEqual([
      { address: '192.168.1.20', port: 8000, jid: 'alice@x', publicAddresses: ['203.0.113.5'] },
      { address: '203.0.113.5', port: 8000, jid: 'alice@x' },
    ]);
  });

  it('is empty while every instance listing it is offline', () => {
    const r = {
      resource: 'r',
      online: false,
      endpoints: [{ address: '203.0.113.5', port: 1 }],
      shares: [share],
    };
    expect(offersOf({ jid: 'a@x', receivedAt: 0, resources: [r] }, H)).toEqual([]);
  });

  it('is not_found for a hash the friend does not list', () => {
    expect(() => offersOf({ jid: 'a@x', receivedAt: 0, resources: [] }, H)).toThrow(CoreError);
  });
});
