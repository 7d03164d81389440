import { describe, expect, it } from 'vitest';
import { selectedPairRelayed, tcpKind } from './transport-counters.js';

const candidates = [
  { type: 'local-candidate', id: 'L-host', candidateType: 'host' },
  { type: 'local-candidate', id: 'L-relay', candidateType: 'relay' },
  { type: 'remote-candidate', id: 'R-srflx', candidateType: 'srflx' },
];

describe('transport of a connection', () => {
  it('TCP: mapped only when accepted from a public address while the port is mapped', () => {
    expect(tcpKind({ type: 'tcpIncoming', remoteAddress: '198.51.100.4' }, true)).toBe('tcpMapped');
    expect(tcpKind({ type: 'tcpIncoming', remoteAddress: '::ffff:192.168.1.4' }, true)).toBe('tcpDirect');
    expect(tcpKind({ type: 'tcpIncoming', remoteAddress: '198.51.100.4' }, false)).toBe('tcpDirect');
    expect(tcpKind({ type: 'tcpOutgoing', remoteAddress: '198.51.100.4' }, true)).toBe('tcpDirect');
  });

  it('WebRTC: relayed when the selected pair has a relay candidate', () => {
    const pair = (local: string) => ({
      type: 'candidate-pair',
      id: `P-${local}`,
      localCandidateId: local,
      remoteCandidateId: 'R-srflx',
      state: 'succeeded',
      nominated: true,
    });
    const transport = (sel: string) => ({ type: 'transport', id: 'T', selectedCandidatePairId: sel });
    const stats = [...candidates, pair('L-host'), pair('L-relay')];
    expect(selectedPairRelayed([...stats, transport('P-L-relay')])).toBe(true);
    expect(selectedPairRelayed([...stats, transport('P-L-host')])).toBe(false);
    // No transport stats: the nominated, succeeded pair.
    expect(selectedPairRelayed([...candidates, pair('L-relay')])).toBe(true);
    expect(selectedPairRelayed(candidates)).toBe(false);
  });
});
