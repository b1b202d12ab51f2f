/**
 * The peer for `http_produce_vs_bare_node_ratio`: a bare node:http server that parses the same
 * JSON produce body and answers a produce-shaped reply, with no framework and no storage.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let offset = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error_code":40001,"message":"malformed JSON"}');
      return;
    }
    const n = typeof body === 'object' && body !== null && Array.isArray((body as { records?: unknown }).records) ? (body as { records: unknown[] }).records.length : 1;
    const offsets = [];
    for (let i = 0; i < n; i++) offsets.push({ partition: 0, offset: offset++, timestamp: Date.now() });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ topic: 'bench', offsets }));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`BARE on http://127.0.0.1:${(server.address() as AddressInfo).port} `));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
