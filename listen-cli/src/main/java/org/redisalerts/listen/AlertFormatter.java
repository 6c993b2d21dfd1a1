package org.redisalerts.listen;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.ProtocolException;

/**
 * One alert as a line for people: the time it was received, the {@code message} in bold, then the
 * other fields as compact {@code name=value} pairs ({@code event} is left out when it is {@code
 * alert}). A frame that is not a JSON object is shown as it is. Control characters show as escapes
 * ({@link TerminalText}).
 */
public final class AlertFormatter {

  private static final AttributedStyle TIME = AttributedStyle.DEFAULT.faint();
  private static final AttributedStyle MESSAGE = AttributedStyle.DEFAULT.bold();
  private static final AttributedStyle NAME =
      AttributedStyle.DEFAULT.foreground(AttributedStyle.CYAN);
  private static final AttributedStyle VALUE = AttributedStyle.DEFAULT;
  private static final AttributedStyle ODD =
      AttributedStyle.DEFAULT.foreground(AttributedStyle.YELLOW);

  private final JsonCodec codec;
  private final DateTimeFormatter clock;

  public AlertFormatter(JsonCodec codec, ZoneId zone) {
    this.codec = codec;
    this.clock = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(zone);
  }

  public AttributedString format(String frame, Instant receivedAt) {
    AttributedStringBuilder line = new AttributedStringBuilder();
    line.styled(TIME, clock.format(receivedAt)).append("  ");
    JsonNode node;
    try {
      node = codec.readTree(frame);
    } catch (ProtocolException e) {
      node = null;
    }
    if (node == null || !node.isObject()) {
      return line.styled(ODD, TerminalText.visible(frame)).toAttributedString();
    }
    JsonNode message = node.get("message");
    line.styled(MESSAGE, message == null ? "(no message)" : text(message));
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      String name = field.getKey();
      if (name.equals("message")
          || (name.equals("event") && "alert".equals(field.getValue().asText()))) {
        continue;
      }
      line.append("  ")
          .styled(NAME, TerminalText.visible(name))
          .append("=")
          .styled(VALUE, text(field.getValue()));
    }
    return line.toAttributedString();
  }

  /** Strings without their quotes, everything else as compact JSON; controls made visible. */
  private String text(JsonNode value) {
    return TerminalText.visible(value.isTextual() ? value.asText() : value.toString());
  }
}
