package org.redisalerts.relay.clients;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.redisalerts.common.ClientMessage;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.LogText;
import org.redisalerts.common.ProtocolException;
import org.redisalerts.common.ServerReply;
import org.redisalerts.relay.auth.RevocationList;
import org.redisalerts.relay.auth.Token;
import org.redisalerts.relay.auth.TokenRefusal;
import org.redisalerts.relay.auth.TokenVerifier;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.redisalerts.relay.monitoring.RelayMetrics.Refusal;
import org.redisalerts.relay.monitoring.ThrottledLog;
import org.redisalerts.relay.websocket.Admission;
import org.redisalerts.relay.websocket.SocketConnection;
import org.redisalerts.relay.websocket.SocketHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's protocol over an open WebSocket: the identify deadline, the allow-list, the message
 * budget, replies and refusals, and telling the dispatcher who is who. It never touches Redis and
 * never blocks; every call for one connection comes on that connection's decoder thread.
 */
public final class ClientProtocol implements SocketHandler, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ClientProtocol.class);

  /** Close codes of the protocol (RFC 6455 section 7.4.1). */
  static final int POLICY = 1008;

  static final int UNSUPPORTED = 1003;
  static final int TRY_AGAIN_LATER = 1013;

  private static final long SWEEP_MILLIS = 250;

  /**
   * What the protocol is told.
   *
   * @param policy which keys may be identified with
   * @param identifyTimeout how long a client has to identify after connecting
   * @param writeTimeout how long a client may take to read (for the refusal's wording)
   * @param messagesPerSecond control messages a client may send per second, sustained
   * @param messageBurst control messages a client may send at once
   * @param tokens verifies identify tokens; null when tokens are off (the allow-list alone)
   * @param revocations the revoked tokens, when tokens are on
   * @param ackTimeout how long an acknowledging client may take to acknowledge a batch written to
   *     it before it is closed (1008)
   * @param ackWindow the most alerts an acknowledging client may have unacknowledged
   */
  public record Settings(
      AccessPolicy policy,
      Duration identifyTimeout,
      Duration writeTimeout,
      double messagesPerSecond,
      int messageBurst,
      TokenVerifier tokens,
      RevocationList revocations,
      Duration ackTimeout,
      int ackWindow) {}

  private final Settings settings;
  private final JsonCodec codec;
  private final ClientEvents events;
  private final RelayMetrics metrics;
  private final ThrottledLog refusals = new ThrottledLog(log, Duration.ofMinutes(1));

  /** Connections that have not identified yet. */
  private final Set<ClientConnection> unidentified = ConcurrentHashMap.newKeySet();

  /** Connections identified with a token, watched for expiry and revocation. */
  private final Set<ClientConnection> withTokens = ConcurrentHashMap.newKeySet();

  /** Connections that acknowledge alerts. */
  private final Set<ClientConnection> acknowledging = ConcurrentHashMap.newKeySet();

  private final ScheduledExecutorService timer;
  private final ScheduledFuture<?> sweeper;

  public ClientProtocol(
      Settings settings,
      JsonCodec codec,
      ClientEvents events,
      RelayMetrics metrics,
      ScheduledExecutorService timer) {
    this.settings = settings;
    this.codec = codec;
    this.events = events;
    this.metrics = metrics;
    this.timer = timer;
    metrics.gauge(
        "relay.alerts.awaiting.ack",
        "Alerts written to acknowledging connections and not acknowledged yet",
        this::awaitingAck);
    this.sweeper =
        timer.scheduleWithFixedDelay(
            this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void opened(SocketConnection socket, Admission admission) {
    long now = System.nanoTime();
    ClientConnection client =
        new ClientConnection(
            socket,
            new MessageBudget(settings.messagesPerSecond(), settings.messageBurst(), now),
            now);
    socket.attach(client);
    switch (admission) {
      case OVER_LIMIT -> {
        refuse(
            client,
            Refusal.TOO_MANY_CONNECTIONS,
            "too many connections; try again later",
            TRY_AGAIN_LATER,
            "too many connections",
            null);
        return;
      }
      case OVER_ADDRESS_LIMIT -> {
        refuse(
            client,
            Refusal.TOO_MANY_FROM_ADDRESS,
            "too many connections from your address; try again later",
            TRY_AGAIN_LATER,
            "too many connections from this address",
            null);
        return;
      }
      case ADMITTED -> unidentified.add(client);
    }
  }

  @Override
  public void text(SocketConnection socket, String text) {
    ClientConnection client = socket.attachment();
    if (client == null || client.isClosed()) {
      return;
    }
    // Taken first, so a flood costs no parsing; given back for an ack that confirms new alerts
    // (SPEC 9 lets a client ack every alert; those acks are bounded by the alerts sent).
    boolean withinBudget = client.budget.take(System.nanoTime());
    if (!withinBudget && !client.acknowledges()) {
      refuseTooMany(client);
      return;
    }
    ClientMessage message;
    try {
      message = codec.parseClientMessage(text);
    } catch (ProtocolException e) {
      refuse(client, Refusal.MALFORMED, e.getMessage(), POLICY, e.getMessage(), null);
      return;
    }
    boolean confirmsAlerts =
        ClientMessage.ACK.equals(message.event())
            && client.acknowledges()
            && message.count() != null
            && client.acks().advances(message.count());
    if (confirmsAlerts && withinBudget) {
      client.budget.giveBack();
    } else if (!withinBudget && !confirmsAlerts) {
      refuseTooMany(client);
      return;
    }
    if (message.isIdentify()) {
      identify(client, message);
    } else if (ClientMessage.REFRESH.equals(message.event()) && settings.tokens() != null) {
      refresh(client, message);
    } else if (ClientMessage.ACK.equals(message.event()) && client.acknowledges()) {
      ack(client, message);
    } else if (log.isDebugEnabled()) {
      log.debug("ignored event {} from client={}", LogText.quote(message.event()), client);
    }
  }

  private void identify(ClientConnection client, ClientMessage message) {
    String key = message.queue();
    if (key == null) {
      refuse(
          client,
          Refusal.MALFORMED,
          "identify has no \"queue\"",
          POLICY,
          "identify has no queue",
          null);
      return;
    }
    AccessPolicy.Denial denial = settings.policy().refusal(key);
    if (denial != null) {
      refuse(client, denial.reason(), denial.message(), POLICY, denial.message(), key);
      return;
    }
    String previous = client.key();
    if (key.equals(previous) && !client.acknowledges() && !message.wantsAcks()) {
      return; // identifying again with the same key changes nothing
    }
    if (previous != null && !key.equals(previous) && !client.keyChanges.take(System.nanoTime())) {
      refuse(
          client,
          Refusal.TOO_MANY_MESSAGES,
          "too many identifies with another key",
          POLICY,
          "too many identifies with another key",
          previous);
      return;
    }
    Token token = null;
    if (settings.tokens() != null) {
      try {
        token = acceptToken(message.token(), client, key);
      } catch (TokenRefusal refusal) {
        refuseToken(client, refusal, key);
        return;
      }
    }
    Long ttl = token == null ? null : token.secondsLeft(Instant.now());
    boolean ack = message.wantsAcks();
    client.identifiedAs(
        key,
        token,
        ack ? newAckWindow(client, key) : null,
        codec.write(ServerReply.connected(key, ttl, ack)));
    if (token != null) {
      withTokens.add(client);
    }
    if (ack) {
      acknowledging.add(client);
    } else {
      acknowledging.remove(client);
    }
    if (previous == null) {
      unidentified.remove(client);
    }
    if (!key.equals(previous)) {
      // The same key again needs nothing more: already among its connections, its reply went
      // out (or waits with the one held before it).
      events.identified(client, previous, key, ack); // it sends the reply when it may
    }
  }

  private AckWindow newAckWindow(ClientConnection client, String key) {
    return new AckWindow(
        settings.ackWindow(),
        settings.ackTimeout().toNanos(),
        timer,
        new AckWindow.Listener() {
          @Override
          public void settled(int written, int acknowledged) {
            if (written > acknowledged) {
              metrics.unacknowledged(written - acknowledged);
            }
          }

          @Override
          public void timedOut(AckWindow window) {
            client
                .socket()
                .execute(
                    () -> {
                      if (!client.isClosed() && client.acks() == window) {
                        String message =
                            "alerts not acknowledged within "
                                + settings.ackTimeout().toMillis()
                                + " ms";
                        refuse(client, Refusal.ACK_TIMEOUT, message, POLICY, message, client.key());
                      }
                    });
          }

          @Override
          public void opened() {
            events.windowOpened(key);
          }
        });
  }

  private void ack(ClientConnection client, ClientMessage message) {
    if (message.count() == null) {
      refuse(
          client,
          Refusal.BAD_ACK,
          "ack has no \"count\"",
          POLICY,
          "ack has no count",
          client.key());
      return;
    }
    metrics.ackReceived();
    try {
      client.acks().ack(message.count());
    } catch (AckWindow.BadAck e) {
      refuse(client, Refusal.BAD_ACK, e.getMessage(), POLICY, e.getMessage(), client.key());
    }
  }

  private long awaitingAck() {
    long sum = 0;
    for (ClientConnection client : acknowledging) {
      AckWindow window = client.acks();
      if (window != null) {
        sum += window.outstanding();
      }
    }
    return sum;
  }

  /**
   * Verifies the token an identify or refresh carries (a re-identify without one may use the
   * connection's current token) and checks that it covers {@code key} and is not revoked.
   */
  private Token acceptToken(String compact, ClientConnection client, String key)
      throws TokenRefusal {
    Instant now = Instant.now();
    Token token;
    if (compact == null && client.token() != null) {
      token = client.token();
      if (now.getEpochSecond() >= token.expiresAt().getEpochSecond()) {
        throw TokenRefusal.expired();
      }
    } else {
      token = settings.tokens().verify(compact, now);
    }
    if (!token.covers(key)) {
      throw TokenRefusal.notCovering(key);
    }
    if (settings.revocations().revokes(token)) {
      throw TokenRefusal.revoked();
    }
    return token;
  }

  private void refresh(ClientConnection client, ClientMessage message) {
    String key = client.key();
    if (key == null) {
      refuse(
          client,
          Refusal.MALFORMED,
          "refresh before identify",
          POLICY,
          "refresh before identify",
          null);
      return;
    }
    if (message.token() == null) {
      refuseToken(client, TokenRefusal.required(), key);
      return;
    }
    Token token;
    try {
      token = acceptToken(message.token(), client, key);
    } catch (TokenRefusal refusal) {
      refuseToken(client, refusal, key);
      return;
    }
    client.useToken(token);
    withTokens.add(client);
    client.reply(codec.write(ServerReply.refreshed(token.secondsLeft(Instant.now()))));
    log.info("client refreshed its token key={} client={}", LogText.quote(key), client);
  }

  private void refuseToken(ClientConnection client, TokenRefusal refusal, String key) {
    Refusal why =
        switch (refusal.kind()) {
          case REQUIRED -> Refusal.TOKEN_REQUIRED;
          case INVALID -> Refusal.TOKEN_INVALID;
          case EXPIRED -> Refusal.TOKEN_EXPIRED;
          case NOT_COVERING -> Refusal.TOKEN_NOT_COVERING;
          case REVOKED -> Refusal.TOKEN_REVOKED;
        };
    refuse(client, why, refusal.getMessage(), refusal.closeCode(), refusal.getMessage(), key);
  }

  /**
   * Revocations changed (a revoke, or a reload when Redis came back): connections whose token is
   * now revoked are closed with 4003.
   */
  public void revocationsChanged() {
    for (ClientConnection client : withTokens) {
      Token token = client.token();
      if (token != null && settings.revocations().revokes(token)) {
        client
            .socket()
            .execute(
                () -> {
                  Token current = client.token();
                  if (!client.isClosed()
                      && current != null
                      && settings.revocations().revokes(current)) {
                    refuseToken(client, TokenRefusal.revoked(), client.key());
                  }
                });
      }
    }
  }

  @Override
  public void deadlinePassed(SocketConnection socket) {
    ClientConnection client = socket.attachment();
    if (client != null) {
      expire(client);
    }
  }

  /** Closes a client whose token expired; decoder thread. */
  private void expire(ClientConnection client) {
    Token token = client.token();
    if (client.isClosed()
        || token == null
        || Instant.now().getEpochSecond() < token.expiresAt().getEpochSecond()) {
      return; // refreshed meanwhile
    }
    refuseToken(client, TokenRefusal.expired(), client.key());
  }

  @Override
  public void binary(SocketConnection socket) {
    ClientConnection client = socket.attachment();
    if (client != null && !client.isClosed()) {
      refuse(
          client,
          Refusal.BINARY_FRAME,
          "binary frames are not accepted",
          UNSUPPORTED,
          "binary frames are not accepted",
          client.key());
    }
  }

  /** Pings and pongs share the message budget: the relay's own pings cost a pong each. */
  @Override
  public void controlFrame(SocketConnection socket) {
    ClientConnection client = socket.attachment();
    if (client != null && !client.isClosed() && !client.budget.take(System.nanoTime())) {
      refuseTooMany(client);
    }
  }

  private void refuseTooMany(ClientConnection client) {
    refuse(
        client,
        Refusal.TOO_MANY_MESSAGES,
        "too many messages",
        POLICY,
        "too many messages",
        client.key());
  }

  @Override
  public void tooSlow(SocketConnection socket) {
    ClientConnection client = socket.attachment();
    if (client == null || client.isClosed()) {
      return;
    }
    metrics.refused(Refusal.TOO_SLOW);
    long millis = settings.writeTimeout().toMillis();
    log.info(
        "client too slow: alerts not read in time (write timeout {} ms), closing client={} key={}",
        millis,
        client,
        client.key() == null ? "-" : LogText.quote(client.key()));
    client.close(POLICY, "too slow: alerts not read in time (write timeout " + millis + " ms)");
  }

  @Override
  public void closed(SocketConnection socket, int code, String reason, boolean remote) {
    ClientConnection client = socket.attachment();
    if (client == null) {
      return;
    }
    client.markClosed();
    if (client.key() == null) {
      unidentified.remove(client);
    }
    if (client.token() != null) {
      withTokens.remove(client);
    }
    acknowledging.remove(client);
    events.closed(client, code, reason);
  }

  private void sweep() {
    sweepIdentifyDeadlines();
    if (!withTokens.isEmpty()) {
      long now = Instant.now().getEpochSecond();
      for (ClientConnection client : withTokens) {
        Token token = client.token();
        if (token != null && now >= token.expiresAt().getEpochSecond()) {
          client.socket().execute(() -> expire(client));
        }
      }
    }
  }

  private void sweepIdentifyDeadlines() {
    long now = System.nanoTime();
    long timeout = settings.identifyTimeout().toNanos();
    for (ClientConnection client : unidentified) {
      if (now - client.openedAt() >= timeout) {
        unidentified.remove(client);
        client
            .socket()
            .execute(
                () -> {
                  if (client.key() == null && !client.isClosed()) {
                    refuse(
                        client,
                        Refusal.IDENTIFY_DEADLINE,
                        "no identify within " + settings.identifyTimeout().toMillis() + " ms",
                        POLICY,
                        "identify deadline passed",
                        null);
                  }
                });
      }
    }
  }

  /** Sends an error frame and closes; counts and logs it (at most once a minute per reason). */
  private void refuse(
      ClientConnection client, Refusal why, String message, int code, String reason, String key) {
    metrics.refused(why);
    String quotedKey = key == null ? null : LogText.quote(key);
    refusals.info(
        why.name(),
        "client refused: "
            + LogText.unquoted(reason)
            + (quotedKey == null ? "" : " key=" + quotedKey)
            + " client="
            + client);
    client.refuse(codec.write(ServerReply.error(message, key)), code, reason);
    events.refused(client, key, why.name());
  }

  @Override
  public void close() {
    sweeper.cancel(false);
  }
}
