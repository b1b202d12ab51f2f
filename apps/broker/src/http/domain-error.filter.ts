import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError, DomainErrorKind, ErrorBody, errorResponse } from '../core/errors';
import { toDomainError, toDomainErrorOrInternal } from '../core/error-mapping';

/** Errors raised by the HTTP framework itself (body parsing, size, routing), in contract terms. */
function frameworkError(e: unknown): DomainError | undefined {
  const fe = e as { code?: string; statusCode?: number; message?: string };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError(DomainErrorKind.TooLarge, 'request body is larger than http.request.bytes.max; send fewer records per request or raise the limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError(DomainErrorKind.Malformed, `unsupported content type; send application/json (or application/x-ndjson for streaming produce).`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new DomainError(DomainErrorKind.Malformed, 'the request has content-type application/json but an empty body; send a JSON document.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new DomainError(DomainErrorKind.Malformed, 'the content-length header does not match the body.');
  }
  if (e instanceof SyntaxError || (fe.statusCode === 400 && /JSON/i.test(fe.message ?? ''))) {
    return new DomainError(DomainErrorKind.Malformed, `malformed JSON body (${fe.message}); send a valid JSON document.`);
  }
  return undefined;
}

const logger = new Logger('http');

/** Any error thrown while serving a request, as the contract's status and body. */
export function renderError(exception: unknown): { status: number; body: ErrorBody } {
  let domain = frameworkError(exception) ?? toDomainError(exception);
  if (!domain && exception instanceof HttpException) {
    const status = exception.getStatus();
    const message = typeof exception.getResponse() === 'string' ? (exception.getResponse() as string) : exception.message;
    if (status === 404) return { status: 404, body: { error_code: 40400, message: `${message}; see /docs for the endpoints.` } };
    domain = new DomainError(status === 413 ? DomainErrorKind.TooLarge : status < 500 ? DomainErrorKind.Malformed : DomainErrorKind.Internal, message);
  }
  return errorResponse(domain ?? toDomainErrorOrInternal(exception, logger));
}

/** Errors from Nest handlers and from Fastify itself (body parsing, limits) render the same way. */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    const { status, body } = renderError(exception);
    reply.status(status).send(body);
  }
}
