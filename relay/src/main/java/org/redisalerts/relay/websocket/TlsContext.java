package org.redisalerts.relay.websocket;

import javax.net.ssl.SSLEngine;

/** Makes the TLS engine for each accepted connection of a {@code wss://} listener. */
public interface TlsContext {

  /** A server-side engine with the current certificate, TLS 1.2 and 1.3 only. */
  SSLEngine newEngine();
}
