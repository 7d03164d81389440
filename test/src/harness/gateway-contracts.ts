import { serviceNames, xmpp, type TicketTable } from '@bitween/messages';
import { ServiceHost, type Bus } from '@bitween/bus';
import type { z } from 'zod';
import type { Cleanup } from './cleanup.js';

type ConnectRequest = z.output<typeof xmpp.connect.request>;
type ConnectReply = z.input<typeof xmpp.connect.response>;

/**
 * The test plays the gateway's side of the engine's contracts (component tests of the engine):
 * `xmpp.tickets` answers the table given (changed by `setTickets`, announced with
 * `xmpp.tickets-changed`), `xmpp.connect` is relayed to `connect` when given. Nothing of XMPP
 * happens here: e2e tests run the real gateways.
 */
export async function playGatewayContracts(
  cleanup: Cleanup,
  bus: Bus,
  opts: { tickets: TicketTable; connect?: (req: ConnectRequest) => Promise<ConnectReply> },
): Promise<{ setTickets(t: TicketTable): void; connects: ConnectRequest[] }> {
  let table = opts.tickets;
  const connects: ConnectRequest[] = [];
  const host = await ServiceHost.start(bus, { name: serviceNames.gateway, version: '0.0.0-test' });
  cleanup.add('gateway contracts', () => host.stop());
  host.serve(xmpp.tickets, () => table);
  const relay = opts.connect;
  if (relay) {
    host.serve(xmpp.connect, (req) => {
      connects.push(req);
      return relay(req);
    });
  }
  return {
    setTickets(t) {
      table = t;
      bus.publish(xmpp.ticketsChanged, { revision: t.revision });
    },
    connects,
  };
}

/** Tickets (43 base64url characters) made from one byte, for readable tables. */
export const testTicket = (n: number) => Buffer.alloc(32, n).toString('base64url');
