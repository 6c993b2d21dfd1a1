package org.redisalerts.common;

/**
 * A record in the dead-letter list: an entry the relay would not forward, where it was found, and
 * why.
 *
 * @param key the list the entry was taken from
 * @param entry the entry as it was pushed (invalid UTF-8 replaced by U+FFFD)
 * @param reason why it was not forwarded
 * @param at when it was set aside, ISO-8601 UTC
 */
public record DeadLetter(String key, String entry, String reason, String at) {}
