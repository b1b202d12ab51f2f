/**
 * The hot route, served ahead of the framework: `POST /topics/{topic}/records` with a JSON body of
 * known length. Fastify's routing, hooks and reply pipeline plus Nest's execution context cost more
 * per request than the whole produce path (measured: the single-record produce ran at ~26% of a
 * bare node:http server through them); this handler does what the ProduceController does for that
 * request (same parsing, same ProduceService call, same error rendering, same request metric)
 * with nothing in between.
 *
 * Every other request, and any variant of this one the handler does not take (NDJSON or another
 * media type, a chunked body or one over http.request.bytes.max, the broker shutting down), falls
 * through to Fastify and the ProduceController, which stay the documented implementation (Swagger
 * and OpenAPI describe the route from it). A test checks both paths answer alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { BrokerConfig } from '../config/broker-config';
import { ProduceService } from '../core/produce.service';
import { MetricsService } from '../core/metrics.service';
import { malformed } from '../core/errors';
import { parseJsonDocument } from './parsers';
import { renderError } from './domain-error.filter';
import { ProduceQuery, produceJson } from './produce-request';

const PREFIX = '/topics/';
const SUFFIX = '/records';
/** The route template, as Fastify labels the request metric. */
const ROUTE = '/topics/:topic/records';
const JSON_TYPE = 'application/json; charset=utf-8';

interface Services {
  produce: ProduceService;
  metrics: MetricsService;
  config: BrokerConfig;
}

export class ProduceFastPath {
  private services: Services | null = null;
  private closing = false;

  /** Connects the handler to the core services once the application exists. */
  attach(services: Services): void {
    this.services = services;
  }

  /** From now on every request goes to Fastify (which answers 503 while closing). */
  close(): void {
    this.closing = true;
  }

  /** Serves the request and returns true, or returns false for Fastify to serve it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const services = this.services;
    if (services === null || this.closing || req.method !== 'POST') return false;
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return false;
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    if (!path.endsWith(SUFFIX) || path.length <= PREFIX.length + SUFFIX.length) return false;
    const encodedTopic = path.slice(PREFIX.length, path.length - SUFFIX.length);
    if (encodedTopic.includes('/')) return false;
    const contentType = req.headers['content-type'];
    if (contentType === undefined || !isJson(contentType)) return false;
    const lengthHeader = req.headers['content-length'];
    if (lengthHeader === undefined) return false;
    const length = Number(lengthHeader);
    if (!Number.isSafeInteger(length) || length <= 0 || length > services.config.httpRequestBytesMax) return false;
    let topic: string;
    try {
      topic = decodeURIComponent(encodedTopic);
    } catch {
      return false;
    }
    const started = process.hrtime.bigint();
    req.on('error', () => {}); // an aborted request: nothing to answer
    // Chunks are kept as they arrive (memory grows with what the client actually sent, never ahead of it).
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= length) chunks.push(chunk);
    });
    req.on('end', () => {
      if (received !== length) {
        this.fail(res, malformed('the content-length header does not match the body.'), started);
        return;
      }
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      this.produce(services, topic, contentType, queryAt < 0 ? '' : url.slice(queryAt + 1), body, res, started).catch((e: unknown) => this.fail(res, e, started));
    });
    return true;
  }

  private async produce(services: Services, topic: string, contentType: string, query: string, body: Buffer, res: ServerResponse, started: bigint): Promise<void> {
    // Fastify parses the body before the controller runs, so a malformed body is answered first here too.
    const parsed = parseJsonDocument(body.toString('utf8'));
    // Not Fastify's parser (fast-querystring, through find-my-way) but the same object for a
    // well-formed query (a repeated key is an array, refused alike). It differs on a malformed
    // %-escape (a 422 either way, the message echoing the value differently) and past 1000 keys
    // (node's maxKeys).
    const params = parseQuery(query) as ProduceQuery;
    const reply = await produceJson(services.produce, topic, params, contentType, parsed, services.config.httpRecordsPerRequestMax);
    this.send(res, 200, JSON.stringify(reply), started);
  }

  private fail(res: ServerResponse, error: unknown, started: bigint): void {
    const { status, body } = renderError(error);
    this.send(res, status, JSON.stringify(body), started);
  }

  private send(res: ServerResponse, status: number, text: string, started: bigint): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
    res.end(text);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.services?.metrics.requestServed('POST', ROUTE, status, seconds);
  }
}

/** application/json, with or without parameters (charset). */
function isJson(contentType: string): boolean {
  return contentType === 'application/json' || contentType.startsWith('application/json;') || contentType.startsWith('application/json ');
}
