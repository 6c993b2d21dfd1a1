package org.redisalerts.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.ParameterException;

/**
 * The one mapping from a failure to an exit status, configured by each command with its own
 * statuses: a wrong command line ({@link ParameterException}, or an {@link
 * IllegalArgumentException} from checking a value) exits {@code usage}; the exception types given
 * to {@link #on} exit with theirs, the first that matches; anything else exits {@code failure}.
 * Immutable.
 *
 * <p>Domain code throws domain exceptions; only this class turns them into numbers:
 *
 * <pre>{@code
 * ExitCodeMapper.of(USAGE, BAD_INPUT).on(RedisUnavailableException.class, REDIS_UNREACHABLE)
 * }</pre>
 */
public final class ExitCodeMapper implements IExitCodeExceptionMapper {

  private record Rule(Class<? extends Throwable> type, int code) {}

  private final int usage;
  private final int failure;
  private final List<Rule> rules;

  private ExitCodeMapper(int usage, int failure, List<Rule> rules) {
    this.usage = usage;
    this.failure = failure;
    this.rules = List.copyOf(rules);
  }

  /**
   * @param usage the status for a wrong command line or option value
   * @param failure the status for any failure no {@link #on} rule names
   */
  public static ExitCodeMapper of(int usage, int failure) {
    return new ExitCodeMapper(usage, failure, List.of());
  }

  /** A mapper that also exits {@code code} for a {@code type} (or a subclass of it). */
  public ExitCodeMapper on(Class<? extends Throwable> type, int code) {
    List<Rule> more = new ArrayList<>(rules);
    more.add(new Rule(type, code));
    return new ExitCodeMapper(usage, failure, more);
  }

  @Override
  public int getExitCode(Throwable e) {
    for (Rule rule : rules) {
      if (rule.type.isInstance(e)) {
        return rule.code;
      }
    }
    if (e instanceof ParameterException || e instanceof IllegalArgumentException) {
      return usage;
    }
    return failure;
  }
}
