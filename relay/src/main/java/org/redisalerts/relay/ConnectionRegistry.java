package org.redisalerts.relay;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Who is connected under which key. Thread-safe; all state guarded by this. */
final class ConnectionRegistry {

  private final Map<String, Set<ClientConnection>> byKey = new HashMap<>();

  /** Adds {@code connection} under {@code key}; returns how many the key has now. */
  synchronized int join(String key, ClientConnection connection) {
    Set<ClientConnection> set = byKey.computeIfAbsent(key, k -> new LinkedHashSet<>());
    set.add(connection);
    return set.size();
  }

  /**
   * Removes {@code connection} from {@code key}.
   *
   * @return how many connections the key has left, or -1 if it was not there
   */
  synchronized int leave(String key, ClientConnection connection) {
    Set<ClientConnection> set = byKey.get(key);
    if (set == null || !set.remove(connection)) {
      return -1;
    }
    if (set.isEmpty()) {
      byKey.remove(key);
    }
    return set.size();
  }

  /** A snapshot of the connections of {@code key}, in the order they joined. */
  synchronized List<ClientConnection> connections(String key) {
    Set<ClientConnection> set = byKey.get(key);
    return set == null ? List.of() : new ArrayList<>(set);
  }

  /** Whether {@code key} has at least one connection. */
  synchronized boolean hasConnections(String key) {
    return byKey.containsKey(key);
  }

  /** A snapshot of the keys that have connections. */
  synchronized List<String> keys() {
    return new ArrayList<>(byKey.keySet());
  }

  synchronized int keyCount() {
    return byKey.size();
  }

  synchronized int connectionCount() {
    int n = 0;
    for (Set<ClientConnection> set : byKey.values()) {
      n += set.size();
    }
    return n;
  }
}
