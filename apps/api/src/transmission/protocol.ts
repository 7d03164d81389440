import { Label, describeIssues, issuesOf } from '@bitween/messages';
import { z } from 'zod';
import { CoreError } from '../core/errors.js';

/**
 * Transmission RPC framing (rpc-spec.md of Transmission 4.0): a request is
 * `{method, arguments?, tag?}`, the answer `{result: "success" | <error text>, arguments, tag}`.
 * Only the framing and argument schemas live here; behaviour is in `methods.ts`.
 */

/** Thrown by a method: becomes `result: <message>` (HTTP 200), as Transmission answers errors. */
export class TrError extends Error {
  override readonly name = 'TrError';
}

/**
 * The core's error as Transmission's `result` text, the one mapping of this front-end:
 * `<what>: <reason>` (`what`: the method, or what failed), `service unavailable: ` before the
 * reason when nobody answers on NATS. Anything else is returned as it is.
 */
export function trErrorOf(err: unknown, what?: string): unknown {
  if (!(err instanceof CoreError)) return err;
  const reason = `${err.code === 'unavailable' ? 'service unavailable: ' : ''}${err.message}`;
  return new TrError(what ? `${what}: ${reason}` : reason);
}

export const TrRequest = z.object({
  method: z.string({ error: 'method must be a string' }),
  arguments: z
    .record(z.string(), z.unknown(), { error: 'arguments must be an object' })
    .optional()
    .nullable(),
  /** Echoed back; Transmission uses a number, any JSON scalar is echoed. */
  tag: z.union([z.number(), z.string()]).optional().nullable(),
});
export type TrRequest = z.infer<typeof TrRequest>;

export interface TrResponse {
  result: string;
  arguments: Record<string, unknown>;
  tag?: number | string;
}

export function success(args: Record<string, unknown>, tag: TrRequest['tag']): TrResponse {
  return tag === undefined || tag === null
    ? { result: 'success', arguments: args }
    : { result: 'success', arguments: args, tag };
}

export function failure(message: string, tag: TrRequest['tag']): TrResponse {
  return tag === undefined || tag === null
    ? { result: message, arguments: {} }
    : { result: message, arguments: {}, tag };
}

/** A torrent id as frontends send it: Transmission's integer or the info-hash (any case). */
const OneId = z.union([z.number().int(), z.string()]);
/** `ids`: absent = every torrent; `"recently-active"`; one id; or a list. */
export const Ids = z.union([OneId, z.array(OneId)]).optional();
export type Ids = z.infer<typeof Ids>;

/** tr_ratiolimit / tr_idlelimit: 0 global, 1 this torrent's, 2 unlimited. */
const SeedMode = z.union([z.literal(0), z.literal(1), z.literal(2)]);

const FileIndices = z.array(z.number().int().nonnegative()).max(100_000);
/** kB/s (1000 bytes). */
const Speed = z.number().int().nonnegative();

export const TorrentGetArgs = z.object({
  ids: Ids,
  fields: z.array(z.string()).max(500).optional(),
  format: z.enum(['objects', 'table']).optional(),
});

export const TorrentActionArgs = z.object({ ids: Ids });

export const TorrentRemoveArgs = z.object({
  ids: Ids,
  'delete-local-data': z.boolean().optional(),
});

/** File priorities by index (an empty list: every file, as Transmission reads it). */
const FilePriorities = {
  'priority-high': FileIndices.optional(),
  'priority-normal': FileIndices.optional(),
  'priority-low': FileIndices.optional(),
};

export const TorrentAddArgs = z.object({
  filename: z.string().min(1).optional(),
  metainfo: z.string().min(1).optional(),
  'download-dir': z.string().optional(),
  paused: z.boolean().optional(),
  'files-wanted': FileIndices.optional(),
  'files-unwanted': FileIndices.optional(),
  ...FilePriorities,
  /** Transmission 4.1: download pieces in order. */
  sequential_download: z.boolean().optional(),
  /** Transmission 4.0: the *arr apps send their category here. */
  labels: z.array(Label).max(64).optional(),
});

export const TorrentSetArgs = z.object({
  ids: Ids,
  'files-wanted': FileIndices.optional(),
  'files-unwanted': FileIndices.optional(),
  ...FilePriorities,
  downloadLimit: Speed.optional(),
  downloadLimited: z.boolean().optional(),
  uploadLimit: Speed.optional(),
  uploadLimited: z.boolean().optional(),
  sequential_download: z.boolean().optional(),
  labels: z.array(Label).max(64).optional(),
  seedRatioLimit: z.number().nonnegative().max(1_000_000).optional(),
  seedRatioMode: SeedMode.optional(),
  seedIdleLimit: z.number().int().positive().max(1_000_000).optional(),
  seedIdleMode: SeedMode.optional(),
});

/** `free-space`: a folder on the engines' host. */
/** `torrent-set-location`: `move` false (Transmission's default) only looks for the data there. */
export const SetLocationArgs = z.object({
  ids: Ids,
  location: z.string().min(1).max(4096),
  move: z.boolean().optional(),
});

export const FreeSpaceArgs = z.object({ path: z.string().min(1).max(4096) });

/** `port-test` (Transmission 4.1 names the address family; older clients send nothing). */
export const PortTestArgs = z.object({ ip_protocol: z.enum(['ipv4', 'ipv6']).optional() });

export const SessionGetArgs = z.object({ fields: z.array(z.string()).max(500).optional() });

export const SessionSetArgs = z.object({
  'speed-limit-down': Speed.optional(),
  'speed-limit-down-enabled': z.boolean().optional(),
  'speed-limit-up': Speed.optional(),
  'speed-limit-up-enabled': z.boolean().optional(),
  'download-queue-size': z.number().int().nonnegative().optional(),
  'download-queue-enabled': z.boolean().optional(),
  seedRatioLimit: z.number().nonnegative().max(1_000_000).optional(),
  seedRatioLimited: z.boolean().optional(),
  'idle-seeding-limit': z.number().int().positive().max(1_000_000).optional(),
  'idle-seeding-limit-enabled': z.boolean().optional(),
  'alt-speed-enabled': z.boolean().optional(),
  'alt-speed-down': Speed.optional(),
  'alt-speed-up': Speed.optional(),
  'alt-speed-time-enabled': z.boolean().optional(),
  'alt-speed-time-begin': z.number().int().min(0).max(1439).optional(),
  'alt-speed-time-end': z.number().int().min(0).max(1439).optional(),
  'alt-speed-time-day': z.number().int().min(0).max(127).optional(),
});

/**
 * The arguments of a method, validated; unknown members are ignored (Transmission ignores
 * them too, and frontends send many we do not act on). A bad one is a `TrError` naming it.
 */
export function parseArgs<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new TrError(`invalid arguments: ${describeIssues(issuesOf(parsed.error))}`);
  return parsed.data;
}
