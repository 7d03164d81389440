import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_METAINFO_BYTES, type Added, type Torrents } from '../core/torrents.js';
import { HttpProblem, problemResponses } from '../problem.js';
import { queryTorrents, TorrentsQuery } from './torrent-query.js';
import { publicTorrent, publicTorrentListJson } from './to-public.js';
import {
  AddTorrentBody,
  AddTorrentQuery,
  AddedSchema,
  DownloadOrderBody,
  HashParams,
  RemoveQuery,
  SetFilesBody,
  SetLimitsBody,
  MoveBody,
  SetOptionsBody,
  TorrentSchema,
} from './schemas.js';

const tags = ['torrents'];
const WithTorrent = z.object({ torrent: TorrentSchema });

/** A part or stream error of a multipart body as a problem (never a 500: it is the client's body). */
function multipartProblem(err: unknown): HttpProblem {
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 413) {
    return new HttpProblem(
      413,
      'payload_too_large',
      `a .torrent file is at most ${MAX_METAINFO_BYTES} bytes`,
    );
  }
  return new HttpProblem(400, 'bad_request', `invalid request: multipart body: ${(err as Error).message}`);
}

/** The .torrent of an upload: the raw body, or the first file part of a multipart/form-data body. */
async function uploadedMetainfo(request: FastifyRequest): Promise<Buffer | null> {
  if (!request.isMultipart()) return Buffer.isBuffer(request.body) ? request.body : null;
  try {
    const file = await request.file();
    return file ? await file.toBuffer() : null;
  } catch (err) {
    throw multipartProblem(err);
  }
}

/** `/v1/torrents`: the torrents of every engine of this daemon. */
export const torrentRoutes =
  (torrents: Torrents): FastifyPluginAsync =>
  async (base) => {
    // Browsers upload files as multipart/form-data; only the upload route reads such a body.
    await base.register(multipart, {
      throwFileSizeLimit: true,
      limits: { fileSize: MAX_METAINFO_BYTES, files: 1, fields: 10, parts: 11, fieldSize: 4096 },
    });
    const app = base.withTypeProvider<ZodTypeProvider>();
    const added = (reply: { code(n: number): unknown }, a: Added) => {
      reply.code(a.created ? 201 : 200);
      return { torrent: publicTorrent(a.torrent), created: a.created };
    };

    app.addContentTypeParser(
      'application/x-bittorrent',
      { parseAs: 'buffer', bodyLimit: MAX_METAINFO_BYTES },
      (_request, body, done) => done(null, body),
    );

    app.get(
      '/torrents',
      {
        schema: {
          tags,
          summary:
            'List own torrents (shared and downloading) of every engine: filtered, sorted and paged on request',
          querystring: TorrentsQuery,
          response: {
            200: z.object({
              torrents: z.array(TorrentSchema),
              total: z
                .number()
                .int()
                .nonnegative()
                .describe('torrents matching the filters (before offset/limit)'),
            }),
            ...problemResponses,
          },
        },
      },
      async (request, reply) => {
        if (request.url.includes('?')) {
          return queryTorrents((await torrents.list()).map(publicTorrent), request.query);
        }
        // The cached listing, serialised once per change (a Buffer is sent as is, not re-serialised;
        // `never`: the reply is typed for the schema's object, fastify sends a Buffer unchanged).
        const json = await torrents.derived('v1.torrents', (s) => publicTorrentListJson(s.torrents));
        return reply.type('application/json; charset=utf-8').send(json as never);
      },
    );

    app.post(
      '/torrents',
      {
        schema: {
          tags,
          summary:
            "Add a torrent: share a path, download a friend's share by hash, a magnet, or a .torrent (base64)",
          body: AddTorrentBody,
          response: { 200: AddedSchema, 201: AddedSchema, ...problemResponses, 422: problemResponses[400] },
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (body.path !== undefined) return added(reply, await torrents.addPath(body.path, body));
        if (body.hash !== undefined) return added(reply, await torrents.addHash(body.hash, body));
        if (body.magnet !== undefined) {
          const trackers = [...body.magnet.trackers, ...(body.trackers ?? [])].slice(0, 32);
          return added(
            reply,
            await torrents.addHash(body.magnet.hash, {
              savePath: body.savePath,
              trackers,
              sequentialDownload: body.sequentialDownload,
              firstLastPiecePrio: body.firstLastPiecePrio,
            }),
          );
        }
        const metainfo = Buffer.from(body.metainfo ?? '', 'base64');
        return added(reply, await torrents.addMetainfo(metainfo, body));
      },
    );

    app.post(
      '/torrents/upload',
      {
        // multipart/form-data is what a form could send: accepted here only because the key must
        // come in a header (X-API-Key or Bearer), which no form can set (see auth/cross-origin.ts).
        config: { multipart: true },
        schema: {
          tags,
          summary:
            'Add a .torrent file: the body as application/x-bittorrent, or a file part of multipart/form-data',
          querystring: AddTorrentQuery,
          response: { 200: AddedSchema, 201: AddedSchema, ...problemResponses },
        },
      },
      async (request, reply) => {
        const metainfo = await uploadedMetainfo(request);
        if (!metainfo || metainfo.length === 0) {
          throw new HttpProblem(
            400,
            'bad_request',
            'send the .torrent file as the body (Content-Type: application/x-bittorrent) or as a multipart/form-data file',
          );
        }
        return added(reply, await torrents.addMetainfo(metainfo, { savePath: request.query.savePath }));
      },
    );

    app.get(
      '/torrents/:hash',
      {
        schema: {
          tags,
          summary: 'One torrent',
          params: HashParams,
          response: { 200: TorrentSchema, ...problemResponses },
        },
      },
      async (request) => publicTorrent(await torrents.get(request.params.hash)),
    );

    app.delete(
      '/torrents/:hash',
      {
        schema: {
          tags,
          summary: 'Remove a torrent (its files stay unless deleteData=true)',
          params: HashParams,
          querystring: RemoveQuery,
          response: { 204: z.undefined().describe('removed'), ...problemResponses },
        },
      },
      async (request, reply) => {
        await torrents.remove(request.params.hash, request.query.deleteData ?? false);
        return reply.code(204).send();
      },
    );

    app.post(
      '/torrents/:hash/pause',
      {
        schema: {
          tags,
          summary: 'Pause: close every connection, transfer nothing',
          params: HashParams,
          response: { 200: WithTorrent, ...problemResponses },
        },
      },
      async (request) => ({ torrent: publicTorrent(await torrents.pause(request.params.hash)) }),
    );

    app.post(
      '/torrents/:hash/resume',
      {
        schema: {
          tags,
          summary: 'Resume a paused torrent',
          params: HashParams,
          response: { 200: WithTorrent, ...problemResponses },
        },
      },
      async (request) => ({ torrent: publicTorrent(await torrents.resume(request.params.hash)) }),
    );

    app.patch(
      '/torrents/:hash/files',
      {
        schema: {
          tags,
          summary: 'Select which files to download',
          params: HashParams,
          body: SetFilesBody,
          response: { 200: WithTorrent, ...problemResponses },
        },
      },
      async (request) => ({
        torrent: publicTorrent(await torrents.setFiles(request.params.hash, request.body.files)),
      }),
    );

    app.patch(
      '/torrents/:hash/download-order',
      {
        schema: {
          tags,
          summary: 'Fetch pieces in order (sequential download) or rarest first',
          params: HashParams,
          body: DownloadOrderBody,
          response: { 200: WithTorrent, ...problemResponses },
        },
      },
      async (request) => ({
        torrent: publicTorrent(
          await torrents.setSequential(request.params.hash, request.body.sequentialDownload),
        ),
      }),
    );

    app.patch(
      '/torrents/:hash/options',
      {
        schema: {
          tags,
          summary: "Set a torrent's labels and seeding limits",
          params: HashParams,
          body: SetOptionsBody,
          response: { 200: WithTorrent, ...problemResponses },
        },
      },
      async (request) => ({
        torrent: publicTorrent(await torrents.setOptions(request.params.hash, request.body)),
      }),
    );

    app.post(
      '/torrents/:hash/verify',
      {
        schema: {
          tags,
          summary: 'Check the data on disk again (every piece re-hashed; state checking meanwhile)',
          params: HashParams,
          response: { 200: WithTorrent, ...problemResponses },
        },
      },
      async (request) => ({ torrent: publicTorrent(await torrents.verify(request.params.hash)) }),
    );

    app.post(
      '/torrents/:hash/move',
      {
        schema: {
          tags,
          summary: "Move a torrent's data to another folder below the share roots",
          description:
            'Paused while its files move (renamed on one file system, else copied, checked and deleted), then ' +
            'verified and run as before at the new place. A long move goes on after the answer ' +
            '(`savePath` changes when it is done). A folder outside the share roots is a 422.',
          params: HashParams,
          body: MoveBody,
          response: { 200: WithTorrent, ...problemResponses },
        },
      },
      async (request) => ({
        torrent: publicTorrent(
          await torrents.setLocation(request.params.hash, request.body.location, request.body.moveData),
        ),
      }),
    );

    app.post(
      '/torrents/:hash/reannounce',
      {
        schema: {
          tags,
          summary: 'Dial the friends who share it again',
          params: HashParams,
          response: { 200: z.object({ dialled: z.number().int() }), ...problemResponses },
        },
      },
      async (request) => ({ dialled: await torrents.reannounce(request.params.hash) }),
    );

    app.patch(
      '/torrents/:hash/limits',
      {
        schema: {
          tags,
          summary: "Set a torrent's speed limits",
          params: HashParams,
          body: SetLimitsBody,
          response: { 200: WithTorrent, ...problemResponses },
        },
      },
      async (request) => ({
        torrent: publicTorrent(await torrents.setLimits(request.params.hash, request.body)),
      }),
    );
  };
