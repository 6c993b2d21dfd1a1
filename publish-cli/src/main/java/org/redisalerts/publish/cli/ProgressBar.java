package org.redisalerts.publish.cli;

import java.io.PrintWriter;

/** A one-line progress bar on standard error, redrawn at most ten times a second. */
final class ProgressBar {

  private static final int WIDTH = 30;

  private final PrintWriter err;
  private final int total;
  private long lastDraw;

  ProgressBar(PrintWriter err, int total) {
    this.err = err;
    this.total = total;
  }

  void update(int done) {
    long now = System.nanoTime();
    if (done < total && now - lastDraw < 100_000_000L) {
      return;
    }
    lastDraw = now;
    int filled = (int) ((long) WIDTH * done / total);
    err.printf(
        "\r[%s%s] %3d%% %,d/%,d",
        "#".repeat(filled), " ".repeat(WIDTH - filled), (int) (100L * done / total), done, total);
    err.flush();
  }

  void finish() {
    err.print("\r" + " ".repeat(WIDTH + 40) + "\r");
    err.flush();
  }
}
