/**
 * Body parsing for the HTTP door: JSON (and Confluent's v2 media types as JSON), NDJSON as a
 * raw stream for streaming produce, and Confluent v3's concatenated JSON records.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { BrokerConfig } from '../config/broker-config';
import { malformed } from '../core/errors';
import { renderError } from './domain-error.filter';

/** Marks a body made of several concatenated JSON values (Confluent v3 streaming produce). */
export class ConcatenatedJson {
  constructor(readonly values: unknown[]) {}
}

/** Splits `{"a":1}{"b":2} {"c":3}` into values; throws a malformed-request error on bad JSON. */
export function parseConcatenatedJson(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
      if (depth < 0) throw malformed(`malformed JSON at byte ${i}: unexpected "${c}".`);
    } else if (depth === 0 && !/\s/.test(c ?? '')) {
      throw malformed(`malformed JSON at byte ${i}: expected a JSON object.`);
    }
  }
  if (depth !== 0 || inString) throw malformed('malformed JSON: the body ends inside a value.');
  return values;
}

/** One JSON document, or the contract's malformed-request error naming the parse problem. */
export function parseJsonDocument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw malformed(`malformed JSON body: ${(e as Error).message}; send one valid JSON document.`);
  }
}

export function setupHttpParsers(app: NestFastifyApplication, _config: BrokerConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = (req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void => {
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, parseJsonDocument(body));
    } catch (e) {
      if (req.url.startsWith('/v3/')) {
        try {
          return done(null, new ConcatenatedJson(parseConcatenatedJson(body)));
        } catch (inner) {
          return done(inner as Error);
        }
      }
      done(e as Error);
    }
  };
  fastify.removeContentTypeParser(['application/json']);
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  fastify.addContentTypeParser(/^application\/vnd\.kafka(\.[a-z]+)?\.v[23]\+json/, { parseAs: 'string' }, parseJson);
  // Errors Fastify raises before a handler runs (bad JSON, body too large) get the contract's shape too.
  // Nest installs its own handler at init, chained in front of this one; it rethrows what it does
  // not map and Fastify falls back here. The chaining is intended, so its warning (FSTWRN004) is not shown.
  silenceErrorHandlerOverrideWarning();
  fastify.setErrorHandler((error, _request, reply) => {
    const { status, body } = renderError(error);
    void reply.status(status).send(body);
  });
  // Streaming produce: the handler reads the request stream line by line.
  fastify.addContentTypeParser('application/x-ndjson', (_req, payload, done) => done(null, payload));
}

let warningFilterInstalled = false;

/** Drops Fastify's FSTWRN004 ("overriding an errorHandler") only; every other warning still prints. */
function silenceErrorHandlerOverrideWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    // process-warning calls emitWarning(message, name, code); an Error may carry the code too.
    const code = warning instanceof Error ? (warning as { code?: string }).code : rest[1];
    if (code === 'FSTWRN004') return;
    emit(warning, ...rest);
  });
}
