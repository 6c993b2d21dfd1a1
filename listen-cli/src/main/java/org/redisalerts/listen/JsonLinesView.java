package org.redisalerts.listen;

import java.io.PrintWriter;
import java.time.Instant;

/**
 * For pipes and {@code --json}: each alert as one line holding exactly the frame received, nothing
 * else on standard output; connection state goes to standard error.
 */
public final class JsonLinesView implements AlertView {

  private final PrintWriter out;
  private final PrintWriter err;

  public JsonLinesView(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public void identified(String key, String reply) {
    err.println("listen: identified as " + key + ": " + reply);
    err.flush();
  }

  @Override
  public boolean alert(String frame, Instant receivedAt) {
    out.println(frame);
    out.flush();
    return !out.checkError(); // a PrintWriter keeps its I/O errors to itself otherwise
  }

  @Override
  public void status(String text) {
    err.println("listen: " + text);
    err.flush();
  }

  @Override
  public void close() {
    out.flush();
    err.flush();
  }
}
