/** The shapes of the API answers the tests read (the original Bitween's JSON-RPC results). */

export type Endpoint = [address: string, port: number];

export interface SharesResult {
  shares: Record<
    string,
    Record<
      string,
      {
        ip_v4: Endpoint[];
        ip_v6: Endpoint[];
        shares: Record<string, { hash: string; name: string; size: number; files: null }>;
      }
    >
  >;
}

export interface TorrentsResult {
  torrents: {
    hash: string;
    name: string | null;
    total_size: number | null;
    done: number;
    progress: number;
    state: string;
  }[];
}

export interface HashesResult {
  hashes: Record<string, Endpoint[]>;
}
