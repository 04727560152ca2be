import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentTxt, announceProblem, freeName, hostLabel } from '../../../src/discovery/announcer.js';

describe('announcer rules', () => {
  test('a taken instance name gets the first free " (n)" suffix, compared without case', () => {
    assert.deepEqual(freeName('edge-1', new Set()), { name: 'edge-1', n: 1 });
    assert.deepEqual(freeName('Pi', new Set(['pi', 'pi (2)'])), { name: 'Pi (3)', n: 3 });
  });

  test('the SRV target is the node id as one DNS label', () => {
    assert.equal(hostLabel('edge-1'), 'edge-1');
    assert.equal(hostLabel('lab.edge_1'), 'lab-edge-1');
  });

  test('--mdns on a loopback API is refused: nobody on the LAN could reach it', () => {
    assert.match(announceProblem('127.0.0.1', { agent: true }) ?? '', /other hosts cannot reach/);
    assert.match(announceProblem('::1', { agent: true }) ?? '', /other hosts cannot reach/);
    assert.equal(announceProblem('0.0.0.0', { agent: true }), undefined);
    // the cloudlet announcement does not depend on the agent API's address
    assert.equal(announceProblem('127.0.0.1', {}), undefined);
    assert.equal(announceProblem('127.0.0.1', undefined), undefined);
  });

  test('--mdns-interface must be an IPv4 address', () => {
    assert.match(announceProblem('0.0.0.0', { interface: 'eth0' }) ?? '', /not an IPv4 address/);
    assert.equal(announceProblem('0.0.0.0', { interface: '10.1.2.3' }), undefined);
  });

  test('the agent TXT record names the node, its place and how to call it', () => {
    assert.deepEqual(agentTxt({ nodeId: 'n1', layer: 'edge', domain: 'lab' }, { path: '/api/v1', tls: true }), {
      node: 'n1',
      layer: 'edge',
      domain: 'lab',
      path: '/api/v1',
      scheme: 'https',
    });
  });
});
