import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { DomainError, DomainErrorKind, invalid } from '../core/errors';
import { SESSION_TIMEOUT_MS_DEFAULT, WS_CONNECTIONS_MAX, WS_PATH, WS_PAYLOAD_BYTES_MAX } from './constants';
import { LiveCore } from './live-core.service';
import { CLOSE_GOING_AWAY, CLOSE_POLICY, CLOSE_REASONS, CLOSE_TRY_AGAIN_LATER, WsConnection } from './ws-connection';

/**
 * `ws://HOST:PORT/ws` (shared/spec/live-protocol.md), on the HTTP port through Nest's `ws`
 * adapter. The gateway only admits connections (the connection limit, the session timeout the
 * client asks for with `?session_timeout_ms=`, bounded like a Kafka member's by
 * group.min/max.session.timeout.ms) and hands each to a WsConnection; frames are parsed there, not
 * by Nest's message router, so bad frames get the contract's error frames.
 */
@WebSocketGateway({ path: WS_PATH, maxPayload: WS_PAYLOAD_BYTES_MAX, perMessageDeflate: false })
export class LiveGateway implements OnGatewayConnection {
  private readonly connections = new Set<WsConnection>();
  private closing = false;

  constructor(private readonly core: LiveCore) {
    core.engine.onClosing(() => {
      this.closing = true;
      for (const c of [...this.connections]) c.closeWith(CLOSE_GOING_AWAY, new DomainError(DomainErrorKind.NotAvailable, 'the broker is shutting down; reconnect to another broker or later.'));
    });
  }

  handleConnection(ws: WebSocket, request: IncomingMessage): void {
    const settings = this.core.config.value;
    let sessionTimeoutMs = SESSION_TIMEOUT_MS_DEFAULT;
    const param = new URL(request.url ?? '/', 'ws://localhost').searchParams.get('session_timeout_ms');
    const refuse = (code: number, error: DomainError): void => {
      ws.send(JSON.stringify(this.core.errorFrame(error)));
      ws.close(code, CLOSE_REASONS[code] ?? 'refused');
    };
    if (param !== null) {
      sessionTimeoutMs = Number(param);
      if (!Number.isSafeInteger(sessionTimeoutMs) || sessionTimeoutMs < settings.groupMinSessionTimeoutMs || sessionTimeoutMs > settings.groupMaxSessionTimeoutMs) {
        return refuse(
          CLOSE_POLICY,
          invalid(`session_timeout_ms must be an integer from ${settings.groupMinSessionTimeoutMs} to ${settings.groupMaxSessionTimeoutMs} (group.min/max.session.timeout.ms); got "${param}".`),
        );
      }
    }
    if (this.closing) return refuse(CLOSE_GOING_AWAY, new DomainError(DomainErrorKind.NotAvailable, 'the broker is shutting down.'));
    if (this.connections.size >= WS_CONNECTIONS_MAX) {
      return refuse(CLOSE_TRY_AGAIN_LATER, new DomainError(DomainErrorKind.TooManyRequests, `the broker holds ${WS_CONNECTIONS_MAX} WebSocket connections, its limit; try again later.`));
    }
    const connection = new WsConnection(this.core, ws, request.socket, sessionTimeoutMs, (c) => this.connections.delete(c));
    this.connections.add(connection);
  }
}
