package org.redisalerts.e2e;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.redisalerts.relay.RelayListener;

/** What the relay tells its listener, counted for the tests; called on the relay's threads. */
final class RelayEvents implements RelayListener {
  final AtomicInteger identified = new AtomicInteger();
  final AtomicInteger closed = new AtomicInteger();
  final List<String> refusals = new CopyOnWriteArrayList<>();

  @Override
  public void connectionReady(String key, int connections) {
    identified.incrementAndGet();
  }

  @Override
  public void connectionClosed(String key, int remaining) {
    closed.incrementAndGet();
  }

  @Override
  public void refused(String key, String reason) {
    refusals.add(reason);
  }
}
