import assert from 'node:assert/strict';
import { test } from 'node:test';

import { composeResolvConf, extraHostLines, parseDnsSearch, parseDnsServer, parseExtraHost, parseLink } from './host-entries.js';

test('--add-host takes NAME:IP (IPv4, IPv6, bracketed) and NAME:host-gateway, with the docker CLI\'s messages', () => {
  assert.equal(parseExtraHost('db:10.0.0.5'), 'db:10.0.0.5');
  assert.equal(parseExtraHost('v6:[::1]'), 'v6:::1');
  assert.equal(parseExtraHost('v6:2001:db8::1'), 'v6:2001:db8::1');
  assert.equal(parseExtraHost('gw:host-gateway'), 'gw:host-gateway');
  assert.throws(() => parseExtraHost('nocolon'), /bad format for add-host: "nocolon"/);
  assert.throws(() => parseExtraHost(':1.2.3.4'), /bad format for add-host/);
  assert.throws(() => parseExtraHost('x:1.2.3'), /invalid IP address in add-host: "1\.2\.3"/);
  assert.deepEqual(extraHostLines(['db:10.0.0.5', 'gw:host-gateway'], '10.88.0.1'), ['10.0.0.5\tdb', '10.88.0.1\tgw']);
  assert.throws(() => extraHostLines(['gw:host-gateway'], undefined), /host-gateway/);
});

test('--dns, --dns-search and --link are checked', () => {
  assert.equal(parseDnsServer('192.0.2.1'), '192.0.2.1');
  assert.throws(() => parseDnsServer('dns.example'), /dns\.example is not an ip address/);
  assert.equal(parseDnsSearch('example.com.'), 'example.com');
  assert.equal(parseDnsSearch('.'), '.');
  assert.throws(() => parseDnsSearch('.bad'), /is not a valid domain/);
  assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
  assert.deepEqual(parseLink('/db:data'), { name: 'db', alias: 'data' });
  assert.throws(() => parseLink('a:b:c'), /bad format for links/);
});

test('resolv.conf: --dns replaces the nameservers, --dns-search the search list (. clears it), --dns-option the options', () => {
  const base = 'nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n';
  assert.equal(composeResolvConf(base, {}), base);
  assert.equal(composeResolvConf(base, { nameservers: ['192.0.2.53'] }), 'search corp.example\noptions edns0\nnameserver 192.0.2.53\n');
  assert.equal(composeResolvConf(base, { search: ['.'] }), 'nameserver 10.0.0.2\noptions edns0\n');
  assert.equal(composeResolvConf(base, { search: ['a.test', 'b.test'], options: ['ndots:2'] }), 'nameserver 10.0.0.2\nsearch a.test b.test\noptions ndots:2\n');
});
