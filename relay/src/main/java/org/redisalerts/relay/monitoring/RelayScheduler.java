package org.redisalerts.relay.monitoring;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * A one-thread scheduler for the relay's timers whose tasks' JVM errors are not swallowed: a
 * scheduled task that fails stores its error in its future and, when periodic, quietly stops. An
 * {@link OutOfMemoryError} or a {@link StackOverflowError} there goes to the thread's uncaught
 * exception handler instead (the relay's ends the process), so no timer dies unseen and leaves the
 * relay half alive. Other failures stay the task's own.
 */
public final class RelayScheduler extends ScheduledThreadPoolExecutor {

  /** A scheduler whose one daemon thread is called {@code name}. */
  public RelayScheduler(String name) {
    super(
        1,
        r -> {
          Thread thread = new Thread(r, name);
          thread.setDaemon(true);
          return thread;
        });
  }

  @Override
  protected void afterExecute(Runnable task, Throwable thrown) {
    super.afterExecute(task, thrown);
    Throwable error = thrown;
    if (error == null && task instanceof Future<?> future && future.isDone()) {
      try {
        future.get();
      } catch (CancellationException e) {
        // cancelled: nothing failed
      } catch (ExecutionException e) {
        error = e.getCause();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (error instanceof VirtualMachineError) {
      Thread current = Thread.currentThread();
      Thread.UncaughtExceptionHandler handler = current.getUncaughtExceptionHandler();
      handler.uncaughtException(current, error);
    }
  }
}
