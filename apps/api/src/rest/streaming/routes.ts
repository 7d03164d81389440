import type { TorrentStatus } from '@bitween/messages';
import type { Logger } from '@bitween/runtime';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CoreError, coreErrorOf, torrentNotFound } from '../../core/errors.js';
import type { Daemon } from '../../core/daemon.js';
import { ReadSlots } from '../../core/engine-stream.js';
import type { Torrents } from '../../core/torrents.js';
import { problem, problemResponses, sendProblem } from '../../problem.js';
import { HashParams } from '../schemas.js';
import { contentTypeOf, parseRange } from './http-range.js';
import type { LinkSigner } from './link-token.js';

export interface StreamingDeps {
  torrents: Pick<Torrents, 'list' | 'find'>;
  daemon: Pick<Daemon, 'openStream' | 'readChunkBytes'>;
  log: Logger;
  signer: LinkSigner;
  /** `engine.read`s in flight per response (default: 8 MiB of chunks, at least 2). */
  window?: number;
  /**
   * `engine.read`s in flight across all responses, each up to one chunk in memory (default:
   * 64 MiB of chunks: 64 at nats-server's default max_payload of 1 MiB, 8 at 8 MiB).
   */
  maxReads?: number;
  /** How long a read waits for its pieces before the response fails. */
  waitMs?: number;
}

const tags = ['torrents'];
const MiB = 1024 * 1024;
const FileParams = HashParams.extend({ index: z.coerce.number().int().nonnegative().max(10_000_000) });
const ContentQuery = z.object({
  token: z.string().max(200).optional().describe('a signed link token (POST …/link) instead of the API key'),
});
const LinkBody = z
  .object({
    ttlSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(6 * 3600)
      .describe('how long the link works (default 6 h)'),
  })
  .default({ ttlSeconds: 6 * 3600 });
const LinkSchema = z
  .object({
    url: z
      .string()
      .describe('path and query of the file content with the token (relative to the API origin)'),
    token: z.string(),
    expiresAt: z.string().describe('ISO 8601'),
  })
  .meta({ id: 'StreamLink' });

/** Headers that keep a shared file from running as a page of the daemon's origin. */
const SAFE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'; media-src 'self'; img-src 'self'",
  'cross-origin-resource-policy': 'same-origin',
} as const;

/** The torrent and the file, from the cached listing first (Range requests come often). */
async function locate(torrents: StreamingDeps['torrents'], hash: string, index: number) {
  let t: TorrentStatus | undefined = (await torrents.list()).find((x) => x.hash === hash);
  t ??= await torrents.find(hash);
  if (!t) throw torrentNotFound(hash);
  const file = t.files[index];
  if (!file)
    throw new CoreError('not_found', `torrent ${hash} has no file ${index} (it has ${t.files.length})`);
  return { torrent: t, file };
}

/** RFC 5987 filename for Content-Disposition. */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * `GET|HEAD /v1/torrents/{hash}/files/{index}/content` (HTTP Range, from the engine that owns the
 * torrent over NATS) and `POST …/link` (a signed URL for players that cannot send the key).
 */
export const streamingRoutes =
  (deps: StreamingDeps): FastifyPluginAsync =>
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async
  async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    // Bounds in bytes, whatever chunk size the server's max_payload gives.
    const chunk = deps.daemon.readChunkBytes();
    const window = deps.window ?? Math.max(2, Math.floor((8 * MiB) / chunk));
    const slots = new ReadSlots(deps.maxReads ?? Math.max(window, Math.floor((64 * MiB) / chunk)));
    const waitMs = deps.waitMs ?? 60_000;

    const content = async (
      request: FastifyRequest<{ Params: z.infer<typeof FileParams> }>,
      reply: FastifyReply,
    ) => {
      const hash = request.params.hash;
      const index = request.params.index;
      const { torrent, file } = await locate(deps.torrents, hash, index);
      const size = file.size;
      const name = file.path.split('/').pop() ?? file.path;
      const etag = `"${hash}-${index}-${size}"`;
      reply.headers({
        ...SAFE_HEADERS,
        'accept-ranges': 'bytes',
        etag,
        'content-type': contentTypeOf(name),
        'content-disposition': disposition(name),
        // The content of a torrent's file never changes (the info-hash fixes it).
        'cache-control': 'private, max-age=3600',
      });
      const ifRange = request.headers['if-range'];
      const range =
        ifRange !== undefined && ifRange !== etag
          ? { kind: 'full' as const }
          : parseRange(request.headers.range, size);
      if (range.kind === 'unsatisfiable') {
        reply.header('content-range', `bytes */${size}`);
        return sendProblem(
          reply,
          problem(
            416,
            'range_not_satisfiable',
            `range ${request.headers.range} is outside the file (${size} bytes)`,
            {
              instance: request.url.split('?')[0] ?? '',
            },
          ),
        );
      }
      const [start, end] = range.kind === 'partial' ? [range.start, range.end + 1] : [0, size];
      if (range.kind === 'partial')
        reply.code(206).header('content-range', `bytes ${start}-${end - 1}/${size}`);
      reply.header('content-length', String(end - start));
      if (request.method === 'HEAD' || end === start) return reply.send();

      const stream = deps.daemon.openStream({
        engineId: torrent.engineId,
        hash,
        file: index,
        start,
        end,
        window,
        slots,
        waitMs,
      });
      // The client may leave while the first pieces are awaited: stop at once.
      const gone = () => {
        if (!reply.raw.writableFinished) stream.destroy();
      };
      reply.raw.once('close', gone);
      const first = await stream.first();
      if (!first.ok) {
        stream.destroy();
        throw coreErrorOf(first.error);
      }
      if (stream.destroyed) return reply;
      stream.once('error', (err) =>
        deps.log.info({ hash, file: index, err: err.message }, 'stream ended early'),
      );
      return reply.send(stream);
    };

    const contentSchema = {
      tags,
      params: FileParams,
      querystring: ContentQuery,
      response: {
        200: z.any().describe('the whole file (binary)'),
        206: z.any().describe('the requested range (binary), with Content-Range'),
        416: problemResponses[400].describe('the range is outside the file (Content-Range: bytes */size)'),
        ...problemResponses,
      },
    };
    // The API key, or a signed link token for this one file.
    const signedUrl = (request: FastifyRequest): boolean => {
      const q = request.query as { token?: unknown } | undefined;
      const p = request.params as { hash?: unknown; index?: unknown } | undefined;
      if (typeof q?.token !== 'string' || typeof p?.hash !== 'string' || typeof p.index !== 'string')
        return false;
      const index = Number(p.index);
      return Number.isSafeInteger(index) && deps.signer.verify(q.token, p.hash.toLowerCase(), index);
    };
    app.get(
      '/torrents/:hash/files/:index/content',
      {
        exposeHeadRoute: false,
        config: { signedUrl },
        schema: {
          ...contentSchema,
          summary:
            'The bytes of one file (HTTP Range, also while it downloads: the pieces asked for come first). ' +
            'Authenticated by the API key or a `token` from POST …/link',
        },
      },
      content,
    );
    // Our own HEAD: fastify's automatic one would answer Content-Length: 0 for a reply without body.
    app.head(
      '/torrents/:hash/files/:index/content',
      {
        config: { signedUrl },
        schema: { ...contentSchema, summary: 'Headers of …/content (size, type, ETag)' },
      },
      content,
    );

    app.post(
      '/torrents/:hash/files/:index/link',
      {
        schema: {
          tags,
          summary: 'A signed, expiring URL of one file’s content (for VLC, mpv, a <video> element)',
          params: FileParams,
          body: LinkBody.optional(),
          response: { 200: LinkSchema, ...problemResponses },
        },
      },
      async (request) => {
        const { hash, index } = request.params;
        await locate(deps.torrents, hash, index);
        const ttl = request.body?.ttlSeconds ?? 6 * 3600;
        const expiresAt = Date.now() + ttl * 1000;
        const token = deps.signer.mint(hash, index, expiresAt);
        return {
          url: `/v1/torrents/${hash}/files/${index}/content?token=${token}`,
          token,
          expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString(),
        };
      },
    );
  };
