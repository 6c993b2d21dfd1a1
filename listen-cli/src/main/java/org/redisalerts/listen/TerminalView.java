package org.redisalerts.listen;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.jline.utils.Status;
import org.redisalerts.common.JsonCodec;

/**
 * For a person at a terminal: alerts formatted by {@link AlertFormatter}, in colour where the
 * terminal has it, and a status line at the bottom with the connection state.
 */
public final class TerminalView implements AlertView {

  private final Terminal terminal;
  private final Status status;
  private final AlertFormatter formatter;
  private int count;
  private String state = "";

  private TerminalView(Terminal terminal) {
    this.terminal = terminal;
    this.status = Status.getStatus(terminal);
    this.formatter = new AlertFormatter(new JsonCodec(), ZoneId.systemDefault());
  }

  /** Opens the process's terminal. */
  public static TerminalView open() throws IOException {
    return new TerminalView(TerminalBuilder.builder().system(true).build());
  }

  @Override
  public void identified(String key, String reply) {
    state = "connected as " + TerminalText.visible(key);
    redrawStatus();
  }

  @Override
  public boolean alert(String frame, Instant receivedAt) {
    count++;
    terminal.writer().println(formatter.format(frame, receivedAt).toAnsi(terminal));
    redrawStatus();
    return !terminal.writer().checkError();
  }

  @Override
  public void status(String text) {
    state = TerminalText.visible(text);
    redrawStatus();
  }

  private void redrawStatus() {
    if (status != null) {
      status.update(
          List.of(
              new AttributedString(
                  " "
                      + state
                      + "  |  "
                      + count
                      + " alert"
                      + (count == 1 ? "" : "s")
                      + "  |  Ctrl-C to stop",
                  AttributedStyle.DEFAULT.inverse())));
    } else {
      terminal.writer().println("-- " + state);
    }
    terminal.flush();
  }

  @Override
  public void close() {
    try {
      if (status != null) {
        status.hide();
        status.close();
      }
      terminal.flush();
      terminal.close();
    } catch (IOException e) {
      // The terminal is going away with the process; nothing to save.
    }
  }
}
