package org.redisalerts.relay.dispatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.redisalerts.relay.clients.ClientConnection;

/**
 * Who is connected under which key. A connection that has closed is never added (so a close that
 * races an identify cannot leave it behind), and snapshots leave closed ones out. Thread-safe; all
 * state guarded by this.
 */
final class ConnectionRegistry {

  /** Connections of each key, in the order they joined; lists are small (one user's tabs). */
  private final Map<String, List<ClientConnection>> byKey = new HashMap<>();

  private int connections;

  /**
   * Adds {@code connection} under {@code key}.
   *
   * @return how many the key has now, or -1 when the connection has closed meanwhile
   */
  synchronized int join(String key, ClientConnection connection) {
    if (connection.isClosed()) {
      return -1;
    }
    List<ClientConnection> list = byKey.computeIfAbsent(key, k -> new ArrayList<>(1));
    list.add(connection);
    connections++;
    return list.size();
  }

  /**
   * Removes {@code connection} from {@code key}.
   *
   * @return how many connections the key has left, or -1 if it was not there
   */
  synchronized int leave(String key, ClientConnection connection) {
    List<ClientConnection> list = byKey.get(key);
    if (list == null || !list.remove(connection)) {
      return -1;
    }
    connections--;
    if (list.isEmpty()) {
      byKey.remove(key);
    }
    return list.size();
  }

  /** The open connections of {@code key}, in the order they joined. */
  synchronized List<ClientConnection> connections(String key) {
    List<ClientConnection> list = byKey.get(key);
    if (list == null) {
      return List.of();
    }
    List<ClientConnection> open = new ArrayList<>(list.size());
    for (ClientConnection c : list) {
      if (!c.isClosed()) {
        open.add(c);
      }
    }
    return open;
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
    return connections;
  }
}
