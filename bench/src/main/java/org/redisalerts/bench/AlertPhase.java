package org.redisalerts.bench;

import java.util.concurrent.CountDownLatch;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * One phase of a load run (the warm-up or the measured run): how many alerts each key gets, a latch
 * counted down by each connection that has them all, and one latency recorder per client loop
 * thread (each written by its thread only).
 */
final class AlertPhase {

  private final int alertsPerKey;
  private final CountDownLatch complete;
  private final SingleWriterRecorder[] latency;

  AlertPhase(int alertsPerKey, int connections, int loopThreads) {
    this.alertsPerKey = alertsPerKey;
    this.complete = new CountDownLatch(connections);
    this.latency = new SingleWriterRecorder[loopThreads];
    for (int i = 0; i < loopThreads; i++) {
      latency[i] = new SingleWriterRecorder(3);
    }
  }

  int alertsPerKey() {
    return alertsPerKey;
  }

  CountDownLatch complete() {
    return complete;
  }

  /** Called by loop thread {@code loop} only. */
  void record(int loop, long nanos) {
    latency[loop].recordValue(nanos);
  }

  /** Every latency so far, merged. */
  Histogram latency() {
    Histogram all = new Histogram(3);
    for (SingleWriterRecorder r : latency) {
      all.add(r.getIntervalHistogram());
    }
    return all;
  }
}
