package org.redisalerts.relay.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Timer tasks that fail with a JVM error reach the uncaught-exception handler; others do not. */
class RelaySchedulerTest {

  @Test
  void aJvmErrorInAPeriodicTaskReachesTheUncaughtExceptionHandler() throws Exception {
    CompletableFuture<Throwable> seen = new CompletableFuture<>();
    Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((thread, error) -> seen.complete(error));
    RelayScheduler scheduler = new RelayScheduler("test-timer");
    try {
      scheduler.schedule(
          () -> {
            throw new IllegalStateException("a task's own failure");
          },
          0,
          TimeUnit.MILLISECONDS);
      scheduler.scheduleWithFixedDelay(
          () -> {
            throw new StackOverflowError("out of stack");
          },
          10,
          10,
          TimeUnit.MILLISECONDS);
      assertThat(seen.get(5, TimeUnit.SECONDS))
          .isInstanceOf(StackOverflowError.class)
          .hasMessage("out of stack");
    } finally {
      scheduler.shutdownNow();
      Thread.setDefaultUncaughtExceptionHandler(before);
    }
  }
}
