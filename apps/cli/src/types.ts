import type { components } from './openapi.gen.js';

/**
 * The REST api's answers the CLI shows, by the names its OpenAPI document gives them: aliases of
 * the types generated from the committed document (openapi.gen.ts, `npm run openapi` at the
 * repository root), so they cannot drift from what the api answers.
 */
type Schemas = components['schemas'];

export type Torrent = Schemas['Torrent'];
export type FriendShare = Schemas['FriendShare'];
export type Contact = Schemas['Contact'];
export type Pending = Schemas['PendingSubscription'];
/** A share a friend sent us (`GET /v1/offers`). */
export type Offer = Schemas['Offer'];
export type Added = Schemas['Added'];
export type Status = Schemas['Status'];
export type Reachability = Schemas['Reachability'];
export type PortMapping = Schemas['PortMapping'];
/** One engine of `GET /v1/status`; the last four are null from engines older than them. */
export type EngineStatus = Schemas['EngineSummary'];
/** One message of `GET /v1/events` (its `data` is `unknown` in the document: one shape per type). */
export type Event = Schemas['Event'];
export type Account = Schemas['Account'];
