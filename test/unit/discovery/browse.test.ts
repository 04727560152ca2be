import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'bonjour-service';
import { toFound } from '../../../src/discovery/browse.js';
import { baseUrl } from '../../../src/discovery/types.js';

// the fields bonjour-service's Browser fills in for an answer (no socket involved)
const heard = (o: Partial<Service>): Service =>
  ({
    name: 'edge-1',
    fqdn: 'edge-1._cloudlet._tcp.local',
    type: 'cloudlet',
    protocol: 'tcp',
    host: 'edge-1.local',
    port: 9999,
    addresses: [],
    txt: { encryption: 'disabled' },
    ...o,
  }) as Service;

describe('an answer as osmo reports it', () => {
  test('the address the answer came from goes first (a multi-homed cloudlet lists all its interfaces)', () => {
    const f = toFound(
      'cloudlet',
      heard({
        addresses: ['fe80::1', '192.0.2.2', 'fd00::2', '10.213.50.1'],
        referer: { address: '10.213.50.1', family: 'IPv4', port: 5353, size: 300 },
      }),
    );
    assert.deepEqual(f?.addresses, ['10.213.50.1', '192.0.2.2', 'fd00::2', 'fe80::1']);
    assert.equal(baseUrl(f), 'http://10.213.50.1:9999');
  });

  test('no address records: the source of the answer is used', () => {
    const f = toFound('cloudlet', heard({ referer: { address: '10.0.0.7', family: 'IPv4', port: 5353, size: 90 } }));
    assert.deepEqual(f?.addresses, ['10.0.0.7']);
  });

  test('an instance name with dots is kept whole (the library cuts it at the first dot)', () => {
    const f = toFound('cloudlet', heard({ name: 'Cloudlet on lab', fqdn: 'Cloudlet on lab.b2._cloudlet._tcp.local' }));
    assert.equal(f?.name, 'Cloudlet on lab.b2');
  });

  test('TXT values come out as strings; an answer without port or target is dropped', () => {
    const f = toFound('agent', heard({ txt: { node: 'n1', path: Buffer.from('/api/v1') } }));
    assert.deepEqual(f?.txt, { node: 'n1', path: '/api/v1' });
    assert.equal(toFound('cloudlet', heard({ port: 0 })), undefined);
  });

  test('an IPv6-only answer gives a bracketed URL', () => {
    assert.equal(
      baseUrl({ kind: 'cloudlet', name: 'x', host: 'x.local', port: 9999, addresses: ['fd00::2'], txt: {} }),
      'http://[fd00::2]:9999',
    );
  });
});
