import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardUrl } from '../../../src/cli/dashboard-url.js';
import { isLoopback } from '../../../src/shared/net.js';

test('loopback addresses, bracketed IPv6 included, need no token', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '10.0.0.1', '128.0.0.1', '::', 'example.org', '127.example.org']) assert.equal(isLoopback(h), false, h);
});

test('the printed dashboard URL carries the token in its fragment only off loopback', () => {
  assert.equal(dashboardUrl('http://127.0.0.1:7700', 's3cr/t'), 'http://127.0.0.1:7700/');
  assert.equal(dashboardUrl('http://[::1]:7700', 's3cr/t'), 'http://[::1]:7700/');
  assert.equal(dashboardUrl('http://0.0.0.0:7700', 's3cr/t'), 'http://0.0.0.0:7700/#token=s3cr%2Ft');
});
