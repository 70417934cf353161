package basalt.client;

/**
 * LATEST reads each tablet at the newest data its leader applied (tablets may differ in time);
 * AT_SNAPSHOT reads every tablet at one hybrid timestamp (given, or picked by the first tablet read).
 * Either way a tablet is read at one timestamp from its first row to its last, also when its leader
 * changes midway.
 */
public enum ReadMode { LATEST, AT_SNAPSHOT }
