package org.redisalerts.cli;

import java.io.PrintWriter;
import java.lang.reflect.AnnotatedElement;
import java.time.Duration;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.redisalerts.common.Durations;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one way the suite's commands are set up, so that each gets the same edge by construction:
 *
 * <ul>
 *   <li>exit statuses from the command's {@link ExitCodeMapper}; a failure prints {@code COMMAND:
 *       message} on standard error, without a stack trace unless {@code RWA_VERBOSE=true}; a wrong
 *       command line prints {@code COMMAND: message} and where to find the help (not the whole
 *       help, which would bury the message);
 *   <li>options of type {@link Duration} ({@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h},
 *       {@code PT10S}) and {@link ByteSize} ({@code 4096}, {@code 64KiB}, {@code 1MiB}) converted
 *       by picocli: a bad value is a usage error that names the option, and a blank one (an
 *       environment variable set to nothing) counts as not given;
 *   <li>{@code --version} from {@link ManifestVersion} where the command sets none;
 *   <li>a hidden {@code --generate-completion} option that prints the bash/zsh completion script
 *       ({@code source <(publish --generate-completion)}). An option, not picocli's {@code
 *       generate-completion} subcommand: that one would take a MESSAGE of that name from publish,
 *       and building it costs every start some milliseconds.
 * </ul>
 *
 * <p>{@code main} is then one line: {@code System.exit(Commands.create(new XCommand(),
 * ExitCodes.MAPPER).execute(args))}.
 */
public final class Commands {

  /** The option that prints the completion script; hidden from the help and the completion. */
  public static final String COMPLETION = "--generate-completion";

  private Commands() {}

  public static CommandLine create(Object command, IExitCodeExceptionMapper exitCodes) {
    CommandLine cli = new CommandLine(command);
    cli.getCommandSpec()
        .addOption(
            OptionSpec.builder(COMPLETION)
                .type(boolean.class)
                .hidden(true)
                .description("Print the bash/zsh completion script and exit.")
                .build());
    cli.setExecutionStrategy(
        parseResult -> {
          if (!parseResult.hasMatchedOption(COMPLETION)) {
            return new RunLast().execute(parseResult);
          }
          PrintWriter out = cli.getOut();
          // print, not println: a script with \r\n line ends fails in bash
          out.print(AutoComplete.bash(cli.getCommandName(), cli));
          out.flush();
          return CommandLine.ExitCode.OK;
        });
    return configure(cli, exitCodes);
  }

  /** Everything {@link #create} does but the completion option; for {@link CommandLines}. */
  static CommandLine configure(CommandLine cli, IExitCodeExceptionMapper exitCodes) {
    // Set on the root after every subcommand is added: picocli passes them down to those only.
    cli.registerConverter(Duration.class, converter(Durations::parse));
    cli.registerConverter(ByteSize.class, converter(ByteSize::parse));
    giveVersions(cli);
    cli.setExitCodeExceptionMapper(exitCodes);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          PrintWriter err = commandLine.getErr();
          err.println(commandLine.getCommandSpec().qualifiedName() + ": " + message(e));
          if (Boolean.parseBoolean(System.getenv("RWA_VERBOSE"))) {
            e.printStackTrace(err);
          }
          err.flush();
          return exitCodes.getExitCode(e);
        });
    cli.setParameterExceptionHandler(
        (e, args) -> {
          CommandLine commandLine = e.getCommandLine();
          PrintWriter err = commandLine.getErr();
          String name = commandLine.getCommandSpec().qualifiedName();
          String variable = environmentSource(e, args);
          err.println(
              name
                  + ": "
                  + e.getMessage()
                  + (variable == null ? "" : " (from the environment variable " + variable + ")"));
          UnmatchedArgumentException.printSuggestions(e, err);
          err.println("Try '" + name + " --help' for more information.");
          err.flush();
          return exitCodes.getExitCode(e);
        });
    return cli;
  }

  /**
   * The environment variable that gave the value {@code e} is about, when the option was not on the
   * command line: a bad {@code RWA_PORT} must not read as a bad {@code --port} the user never
   * typed.
   */
  private static String environmentSource(ParameterException e, String[] args) {
    if (!(e.getArgSpec() instanceof OptionSpec option)) {
      return null;
    }
    Option declared =
        option.userObject() instanceof AnnotatedElement element
            ? element.getAnnotation(Option.class)
            : null;
    if (declared == null) {
      return null;
    }
    Matcher m = ENV.matcher(declared.defaultValue());
    if (!m.find() || System.getenv(m.group(1)) == null) {
      return null;
    }
    for (String arg : args) {
      for (String optionName : option.names()) {
        if (arg.equals(optionName) || arg.startsWith(optionName + "=")) {
          return null;
        }
      }
    }
    return m.group(1);
  }

  private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)");

  private static void giveVersions(CommandLine cli) {
    CommandSpec spec = cli.getCommandSpec();
    if (spec.versionProvider() == null) {
      spec.versionProvider(new ManifestVersion(spec));
    }
    cli.getSubcommands().values().forEach(Commands::giveVersions);
  }

  /**
   * A converter from a parser that throws IllegalArgumentException with a message for people; a
   * blank value is null (not given).
   */
  private static <T> ITypeConverter<T> converter(Function<String, T> parse) {
    return text -> {
      if (text.isBlank()) {
        return null;
      }
      try {
        return parse.apply(text);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    };
  }

  private static String message(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
