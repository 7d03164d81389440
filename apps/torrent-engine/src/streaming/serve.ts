import { engine as contracts, READ_HEADER_ROOM, READ_HEADERS } from '@bitween/messages';
import type { ServiceHost } from '@bitween/bus';
import { BusError } from '@bitween/messages';
import type { TorrentEngine } from '../engine.js';
import { FileStreams, type FileStreamsOptions } from './file-streams.js';

/**
 * `engine.read` (raw bytes, file size in a header: see libs/messages contracts/streaming.ts) and
 * `engine.stream-close` for this engine's torrents. Returns the streams (to stop them).
 */
export function serveStreaming(
  host: ServiceHost,
  engine: TorrentEngine,
  opts: Omit<FileStreamsOptions, 'source' | 'log'> = {},
): FileStreams {
  const params = { engineId: engine.engineId };
  const streams = new FileStreams({
    // The longest read is one reply's payload: the size of the pooled read buffers.
    readBufferBytes: (host.maxPayload ?? 1024 * 1024) - READ_HEADER_ROOM,
    ...opts,
    source: (hash) => engine.streamSource(hash),
    log: engine.log,
  });
  host.serveRaw(
    contracts.read,
    async (req) => {
      const max = (host.maxPayload ?? 1024 * 1024) - READ_HEADER_ROOM;
      if (req.length > max) {
        throw new BusError(
          'invalid_request',
          `length ${req.length} exceeds what one reply can carry (${max})`,
        );
      }
      const { bytes, fileSize, sent } = await streams.read(req);
      // The NATS client's socket holds the bytes until the kernel takes them (patches/README.md):
      // the buffer is used again only once the bus says the reply has left.
      return { data: bytes, headers: { [READ_HEADERS.fileSize]: String(fileSize) }, sent };
    },
    { params },
  );
  host.serve(
    contracts.streamClose,
    ({ stream, reason }) => ({ closed: streams.close(stream, reason ?? 'closed by the api') }),
    {
      params,
    },
  );
  return streams;
}
