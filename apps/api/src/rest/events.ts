import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Position, StoredEvent } from '../core/event-log.js';
import type { Core } from '../core/index.js';

type EventLog = Core['events'];
import { publicEvent } from './public-event.js';
import { RepeatFilter } from './repeat-filter.js';
import { HttpProblem, problemResponses } from '../problem.js';
import { EventsPage, EventsQuery } from './schemas.js';

/** SSE comment lines keep proxies and clients from timing out an idle stream. */
export const KEEPALIVE_MS = 15_000;

const sse = (e: StoredEvent) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(publicEvent(e))}\n\n`;

function lastEventId(request: FastifyRequest): number | undefined {
  const raw = request.headers['last-event-id'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new HttpProblem(
      400,
      'bad_request',
      'invalid request: Last-Event-ID must be an event id (a non-negative integer)',
    );
  }
  return n;
}

async function position(events: EventLog, since: number | undefined): Promise<Position> {
  try {
    return await events.position(since);
  } catch (err) {
    throw new HttpProblem(
      503,
      'unavailable',
      `service unavailable: events stream: ${(err as Error).message}`,
    );
  }
}

/**
 * Server-Sent Events: first an `event: position` (no id) with where the reader stands, then
 * every event with `id:` = its stream sequence, until the client goes away.
 */
async function streamEvents(
  events: EventLog,
  streams: Set<AbortController>,
  request: FastifyRequest,
  reply: FastifyReply,
  since: number | undefined,
) {
  const at = await position(events, since);
  const abort = new AbortController();
  streams.add(abort);
  abort.signal.addEventListener('abort', () => streams.delete(abort), { once: true });
  reply.raw.once('close', () => abort.abort());
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const { after: _after, ...info } = at;
  res.write(`retry: 2000\nevent: position\ndata: ${JSON.stringify(info)}\n\n`);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  // The gateway repeats unchanged `xmpp.peers` on every engine heartbeat: this reader gets changes only.
  const repeats = new RepeatFilter();
  try {
    for await (const e of events.follow(at.after, abort.signal)) {
      const { pending: _pending, ...event } = e;
      if (repeats.isRepeat(event)) continue;
      if (!res.write(sse(event))) await new Promise((resolve) => res.once('drain', resolve));
      if (abort.signal.aborted) break;
    }
  } catch (err) {
    if (!abort.signal.aborted) request.log.warn({ err }, 'event stream ended');
  } finally {
    clearInterval(keepalive);
    res.end();
  }
}

/** `GET /v1/events`: SSE when the client accepts `text/event-stream`, else a long poll. */
export const eventRoutes =
  (events: EventLog): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    // Open streams end when the api closes (else close would wait for the clients to leave).
    const streams = new Set<AbortController>();
    app.addHook('preClose', (done) => {
      for (const s of streams) s.abort();
      done();
    });
    app.get(
      '/events',
      {
        schema: {
          tags: ['events'],
          summary: 'Live events: Server-Sent Events (Accept: text/event-stream) or a long poll',
          description:
            'Ids are JetStream sequence numbers: they grow by one per event and survive restarts. ' +
            'Long poll: answers as soon as an event after `since` exists, or `events: []` after `timeout` s. ' +
            'SSE: resumes after `Last-Event-ID` (or `since`); the first message is `event: position` ' +
            'with `firstId`, `lastId`, `missed` (events dropped by the retention limits) and `reset`.',
          querystring: EventsQuery,
          response: {
            200: {
              description: 'a page of events (long poll) or an event stream',
              content: {
                'application/json': { schema: EventsPage },
                'text/event-stream': {
                  schema: z.string().describe('id: <id>\\nevent: <type>\\ndata: <Event JSON>'),
                },
              },
            },
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        const query = request.query;
        const accept = request.headers.accept ?? '';
        if (accept.includes('text/event-stream')) {
          return streamEvents(events, streams, request, reply, lastEventId(request) ?? query.since);
        }
        const at = await position(events, query.since ?? 0);
        const abort = new AbortController();
        reply.raw.once('close', () => abort.abort());
        const list = await events.read(at.after, {
          limit: query.limit,
          // Events already kept are returned whatever the timeout (they arrive in milliseconds).
          timeoutMs: at.lastId > at.after ? Math.max(query.timeout * 1000, 10_000) : query.timeout * 1000,
          signal: abort.signal,
        });
        const { after: _after, ...info } = at;
        return {
          ...info,
          lastId: Math.max(info.lastId, list.at(-1)?.id ?? 0),
          events: list.map(publicEvent),
        };
      },
    );
  };
