package org.redisalerts.listen;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.junit.jupiter.api.Test;
import org.redisalerts.common.JsonCodec;

class AlertFormatterTest {

  private static final Instant AT = Instant.parse("2026-11-26T10:15:30.123Z");
  private final AlertFormatter formatter = new AlertFormatter(new JsonCodec(), ZoneOffset.UTC);

  @Test
  void showsTimeThenMessageThenOtherFieldsCompactly() {
    AttributedString line =
        formatter.format(
            "{\"event\":\"alert\",\"message\":\"Disk almost full\",\"host\":\"db1\",\"percent\":93,"
                + "\"tags\":[\"a\",\"b\"],\"recordedOn\":\"2026-11-26T10:15:29.000Z\"}",
            AT);
    assertThat(line.toString())
        .isEqualTo(
            "10:15:30.123  Disk almost full  host=db1  percent=93  tags=[\"a\",\"b\"]  recordedOn=2026-11-26T10:15:29.000Z");
  }

  @Test
  void messageIsBoldAndFieldNamesColoured() {
    AttributedString line =
        formatter.format("{\"event\":\"alert\",\"message\":\"Hi\",\"n\":1}", AT);
    int messageAt = line.toString().indexOf("Hi");
    int nameAt = line.toString().indexOf("n=");
    assertThat(line.styleAt(messageAt)).isEqualTo(AttributedStyle.DEFAULT.bold());
    assertThat(line.styleAt(nameAt))
        .isEqualTo(AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN));
    assertThat(line.toAnsi()).contains("\u001b[");
  }

  @Test
  void otherEventsAndMissingMessagesAreVisible() {
    assertThat(formatter.format("{\"event\":\"notice\",\"n\":1}", AT).toString())
        .isEqualTo("10:15:30.123  (no message)  event=notice  n=1");
  }

  @Test
  void controlCharactersFromTheAlertReachTheTerminalOnlyAsEscapes() {
    // An alert could clear the screen, set the window title, write the clipboard (OSC 52), move
    // the cursor back over the line, reverse the text, or split one alert over several lines.
    String frame =
        "{\"event\":\"alert\",\"message\":\"esc \\u001b[2J\\u001b]0;pwned\\u0007 cr\\rOVER\","
            + "\"h\\u001b[31m\":\"bidi \\u202e x\\nline2\",\"c1\":\"\\u009b2J\"}";
    String line = formatter.format(frame, AT).toAnsi();
    assertThat(line.replaceAll("\u001b\\[[0-9;]*m", "")) // the formatter's own colours
        .doesNotContain("\u001b")
        .doesNotContain("\u0007")
        .doesNotContain("\r")
        .doesNotContain("\n")
        .doesNotContain("\u202e")
        .doesNotContain("\u009b");
    assertThat(formatter.format(frame, AT).toString())
        .contains("esc \\e[2J\\e]0;pwned\\u0007 cr\\rOVER")
        .contains("h\\e[31m=bidi \\u202e x\\nline2")
        .contains("c1=\\u009b2J");
    assertThat(formatter.format("raw \u001b]52;c;aGk=\u0007", AT).toString())
        .isEqualTo("10:15:30.123  raw \\e]52;c;aGk=\\u0007");
  }

  @Test
  void aFrameThatIsNotAnObjectIsShownAsItIs() {
    assertThat(formatter.format("just text", AT).toString()).isEqualTo("10:15:30.123  just text");
  }
}
