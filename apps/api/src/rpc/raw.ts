import type { JSONRPCResponse } from 'json-rpc-2.0';

/**
 * A method result that is already JSON text: a large cached listing is serialised once per
 * change instead of once per request. `toJSON` keeps it correct wherever it is serialised the
 * ordinary way; `serializeOutcome` splices the text in without parsing it.
 */
export class RawJson {
  constructor(readonly json: string) {}

  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
}

function serializeOne(response: JSONRPCResponse): string {
  if ('result' in response && response.result instanceof RawJson) {
    return `{"jsonrpc":"2.0","id":${JSON.stringify(response.id)},"result":${response.result.json}}`;
  }
  return JSON.stringify(response);
}

/** The HTTP body of a JSON-RPC answer (one response or a batch). */
export function serializeOutcome(outcome: JSONRPCResponse | JSONRPCResponse[]): string {
  return Array.isArray(outcome) ? `[${outcome.map(serializeOne).join(',')}]` : serializeOne(outcome);
}
