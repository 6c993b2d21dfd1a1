package org.redisalerts.listen;

import java.io.PrintWriter;
import java.time.Instant;

/**
 * For pipes and {@code --json}: each alert as one line holding the frame received (a line break in
 * it, which JSON allows only as white space, becomes a space), nothing else on standard output;
 * connection state goes to standard error, with control characters shown as escapes.
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
    err.println(
        "listen: identified as " + TerminalText.visible(key) + ": " + TerminalText.visible(reply));
    err.flush();
  }

  @Override
  public boolean alert(String frame, Instant receivedAt) {
    out.println(TerminalText.oneLine(frame));
    out.flush();
    return !out.checkError(); // a PrintWriter keeps its I/O errors to itself otherwise
  }

  @Override
  public void status(String text) {
    err.println("listen: " + TerminalText.visible(text));
    err.flush();
  }

  @Override
  public void close() {
    out.flush();
    err.flush();
  }
}
