package org.redisalerts.relay.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * How long a batch may take to be written to a client that keeps reading, slowly: one write timeout
 * for each MiB it holds, from when it was queued, whatever the client reads meanwhile. (On loopback
 * the kernel's send buffers hold several MiB, so a slow reader there is always caught first by the
 * other rule, nothing taken for a write timeout: see SlowClientTest. Over a real network, where the
 * send buffer stays small, a reader of a kilobyte a second keeps the socket moving and only this
 * rule bounds it.)
 */
class WriteTimeoutTest {

  private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);
  private static final long MIB = 1 << 20;
  private static final long QUEUED = 1_000_000_000L;

  @Test
  void aBatchOfUpToOneMibGetsOneWriteTimeout() {
    for (long bytes : new long[] {0, 1, 100, MIB}) {
      assertThat(SocketConnection.overdue(QUEUED, bytes, QUEUED + TIMEOUT - 1, TIMEOUT))
          .as("%d bytes, just before", bytes)
          .isFalse();
      assertThat(SocketConnection.overdue(QUEUED, bytes, QUEUED + TIMEOUT, TIMEOUT))
          .as("%d bytes, at the timeout", bytes)
          .isTrue();
    }
  }

  @Test
  void aLargerBatchGetsOneWriteTimeoutPerMibSoAClientThatKeepsThePaceIsNeverTooSlow() {
    // A single 5 MiB alert (batches are cut at --max-buffer-bytes, but one larger alert goes alone)
    // to a client that takes a MiB per write timeout: it has five.
    long bytes = 5 * MIB;
    assertThat(SocketConnection.overdue(QUEUED, bytes, QUEUED + 5 * TIMEOUT - 1, TIMEOUT))
        .isFalse();
    assertThat(SocketConnection.overdue(QUEUED, bytes, QUEUED + 5 * TIMEOUT, TIMEOUT)).isTrue();
    assertThat(SocketConnection.overdue(QUEUED, 5 * MIB + 1, QUEUED + 5 * TIMEOUT, TIMEOUT))
        .as("a byte over 5 MiB starts a sixth")
        .isFalse();
  }

  @Test
  void aWriteTimeoutTooLongToMultiplyMeansNeverOverdue() {
    long huge = Long.MAX_VALUE / 2;
    assertThat(SocketConnection.overdue(0, 4 * MIB, Long.MAX_VALUE, huge)).isFalse();
    assertThat(SocketConnection.overdue(0, MIB, huge, huge)).isTrue();
  }
}
