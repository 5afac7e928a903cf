/**
 * Does a port speak TLS? Asked before the first request to a registry that may be spoken to over
 * plain HTTP (loopback ones and those configured insecure), which berth, as Docker does, tries
 * over HTTPS first. Building the verifying TLS context for that first try (Node's roots, the
 * moved NODE_EXTRA_CA_CERTS ones and certs.d's) and loading node:tls costs tens of milliseconds,
 * paid in full by every command against a plain-HTTP registry on loopback (a no-op pull is
 * little else). The probe costs a loopback round trip: it sends a TLS ClientHello, made here
 * (no node:tls), on a connection of its own, and reads the first bytes of the answer:
 *
 * - a TLS record (content type 20-24: a ServerHello, an alert, ...): `tls`. The registry is then
 *   spoken to over HTTPS only, verified exactly as any other (the probe's connection is closed
 *   after those bytes; nothing of it is trusted or reused). A TLS server is never spoken to in
 *   plain HTTP, whatever its handshake later does.
 * - anything else (an HTTP server answers the binary hello with `HTTP/1.1 400 Bad Request`): `plain`.
 * - nothing (refused, closed or reset without a byte, no answer in time): `unknown`, and the
 *   caller does what it did without a probe (a verifying TLS attempt, falling back to HTTP only
 *   on the errors a plain server causes).
 *
 * The ClientHello offers TLS 1.3 and 1.2 with common suites, groups and signature algorithms, and
 * the host name (SNI) unless it is an address, so that a TLS server answers it (with a
 * ServerHello, or an alert it would send Node's own hello too). Its legacy session id holds a
 * CR LF: a plain HTTP server that reads request lines (Go's) sees a line end at once instead of
 * waiting for one.
 */
import { randomBytes } from 'node:crypto';
import { connect, isIP } from 'node:net';

export type TlsProbeAnswer = 'tls' | 'plain' | 'unknown';

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** `body` after its length in `bytes` (1, 2 or 3) bytes. */
function prefixed(bytes: 1 | 2 | 3, body: Buffer): Buffer {
  const len = Buffer.alloc(bytes);
  len.writeUIntBE(body.length, 0, bytes);
  return Buffer.concat([len, body]);
}

function extension(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16(type), prefixed(2, body)]);
}

const list16 = (values: readonly number[]) => Buffer.concat(values.map(u16));

/** A TLS ClientHello record for `serverName` (no SNI when it is empty or an IP address). */
export function clientHello(serverName: string): Buffer {
  const sessionId = randomBytes(32);
  sessionId[0] = 0x0d;
  sessionId[1] = 0x0a;
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
  const extensions = [
    extension(0x000a, prefixed(2, list16([0x001d, 0x0017, 0x0018]))), // supported_groups: x25519, P-256, P-384
    extension(0x000b, prefixed(1, Buffer.from([0]))), // ec_point_formats: uncompressed
    extension(0x000d, prefixed(2, list16([0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201]))), // signature_algorithms
    extension(0x0017, Buffer.alloc(0)), // extended_master_secret
    extension(0xff01, prefixed(1, Buffer.alloc(0))), // renegotiation_info
    extension(0x002b, prefixed(1, list16([0x0304, 0x0303]))), // supported_versions: 1.3, 1.2
    extension(0x002d, prefixed(1, Buffer.from([1]))), // psk_key_exchange_modes: psk_dhe_ke
    extension(0x0033, prefixed(2, Buffer.concat([u16(0x001d), prefixed(2, randomBytes(32))]))), // key_share: x25519
  ];
  if (serverName !== '' && isIP(serverName) === 0) {
    const name = Buffer.from(serverName, 'ascii');
    extensions.unshift(extension(0x0000, prefixed(2, Buffer.concat([Buffer.from([0]), prefixed(2, name)]))));
  }
  const hello = Buffer.concat([
    u16(0x0303), // legacy_version: TLS 1.2
    randomBytes(32),
    prefixed(1, sessionId),
    prefixed(2, list16(suites)),
    prefixed(1, Buffer.from([0])), // compression: null
    prefixed(2, Buffer.concat(extensions)),
  ]);
  const handshake = Buffer.concat([Buffer.from([1]), prefixed(3, hello)]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), prefixed(2, handshake)]);
}

/** Whether the first byte a server answered a ClientHello with starts a TLS record (change_cipher_spec, alert, handshake, application_data, heartbeat). */
export function startsTlsRecord(byte: number): boolean {
  return byte >= 20 && byte <= 24;
}

/** Probes `hostname:port` (see the module's comment); `timeoutMs` bounds the whole probe. */
export function probeTls(hostname: string, port: number, timeoutMs = 2000): Promise<TlsProbeAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host: hostname, port });
    const done = (answer: TlsProbeAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done('unknown'), timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(clientHello(hostname)));
    socket.on('data', (chunk: Buffer) => {
      if (chunk.length > 0) done(startsTlsRecord(chunk[0]!) ? 'tls' : 'plain');
    });
    socket.on('error', () => done('unknown'));
    socket.on('close', () => done('unknown'));
  });
}
