package org.redisalerts.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What this tool reads from /proc and asks of other processes. Linux only. */
public final class Processes {

  /** USER_HZ: the unit of /proc's CPU times, 100 on every Linux the JDK runs on. */
  private static final double TICKS_PER_SECOND = 100.0;

  /** The file limit the relay and the tool need for tens of thousands of connections. */
  public static final long WANTED_FILES = 100_000;

  private Processes() {}

  /** User plus system CPU seconds the process has used so far. */
  public static double cpuSeconds(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    // Fields after the command name, which is in parentheses and may hold spaces.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here (from 0).
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
  }

  /** User plus system CPU seconds the processes have used so far, together. */
  public static double cpuSeconds(List<Long> pids) throws IOException {
    double sum = 0;
    for (long pid : pids) {
      sum += cpuSeconds(pid);
    }
    return sum;
  }

  /** CPU seconds used by this JVM so far. */
  public static double ownCpuSeconds() throws IOException {
    return cpuSeconds(ProcessHandle.current().pid());
  }

  /**
   * CPU seconds the whole machine has spent busy so far (every core: user, nice, system, irq,
   * softirq, steal), from /proc/stat; -1 when unknown. Less what the relay, Redis and this tool
   * used, it is what other work took from a measurement on a shared machine.
   */
  public static double machineBusySeconds() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        if (i != 4 && i != 5) { // idle and iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The process's resident memory in kB. */
  public static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS for process " + pid);
  }

  /**
   * The kernel's count of connections dropped because a listen queue was full ({@code TcpExt
   * ListenOverflows} in /proc/net/netstat, for this network namespace); -1 when unknown. A storm
   * that overflows the relay's accept backlog shows here: the dropped handshakes are retried by TCP
   * after 1, 3, 7 ... seconds.
   */
  public static long listenOverflows() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/net/netstat"));
      for (int i = 0; i + 1 < lines.size(); i++) {
        if (lines.get(i).startsWith("TcpExt:") && lines.get(i + 1).startsWith("TcpExt:")) {
          String[] names = lines.get(i).split("\\s+");
          String[] values = lines.get(i + 1).split("\\s+");
          for (int j = 1; j < names.length && j < values.length; j++) {
            if (names[j].equals("ListenOverflows")) {
              return Long.parseLong(values[j]);
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** This process's soft limit on open files; -1 when unknown. */
  public static long ownFileLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
          return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /**
   * {@code command}, run under a file limit of {@link #WANTED_FILES} through {@code prlimit} when
   * this process's own limit is lower and {@code prlimit} is there (raising the hard limit needs
   * root; scripts/bench raises its own first, so children inherit it and this adds nothing).
   */
  public static List<String> withFileLimit(List<String> command) {
    long limit = ownFileLimit();
    if (limit >= WANTED_FILES || !prlimitWorks()) {
      return command;
    }
    List<String> wrapped = new ArrayList<>();
    wrapped.add("/usr/bin/prlimit");
    wrapped.add("--nofile=" + WANTED_FILES + ":" + WANTED_FILES);
    wrapped.add("--");
    wrapped.addAll(command);
    return wrapped;
  }

  /**
   * Whether prlimit can raise the limit here: root alone is not enough in a container without
   * CAP_SYS_RESOURCE (then the hard limit stays, and so does every child's).
   */
  private static synchronized boolean prlimitWorks() {
    if (prlimitWorks == null) {
      try {
        prlimitWorks =
            Files.isExecutable(Path.of("/usr/bin/prlimit"))
                && run(
                    List.of(
                        "/usr/bin/prlimit",
                        "--nofile=" + WANTED_FILES + ":" + WANTED_FILES,
                        "--",
                        "true"));
      } catch (IOException e) {
        prlimitWorks = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        prlimitWorks = false;
      }
    }
    return prlimitWorks;
  }

  private static Boolean prlimitWorks; // guarded by Processes.class

  /** Asks a JVM for a full GC with {@code jcmd PID GC.run}; true when it answered. */
  public static boolean jcmdGc(long pid) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    String command = Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd";
    return run(List.of(command, Long.toString(pid), "GC.run"));
  }

  /** Sends {@code signal} (e.g. USR2) to a process with {@code kill}; true when it was sent. */
  public static boolean signal(long pid, String signal) throws IOException, InterruptedException {
    return run(List.of("kill", "-" + signal, Long.toString(pid)));
  }

  private static boolean run(List<String> command) throws IOException, InterruptedException {
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false; // no such command here
    }
  }
}
