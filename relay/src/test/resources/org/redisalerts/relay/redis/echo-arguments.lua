-- Returns what it was given, to check that arguments reach Redis byte for byte.
return {KEYS[1], ARGV[1], ARGV[2], #KEYS, #ARGV}
