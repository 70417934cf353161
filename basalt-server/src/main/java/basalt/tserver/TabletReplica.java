package basalt.tserver;

import basalt.consensus.driver.GroupDriver;
import basalt.tablet.Tablet;

/**
 * One tablet hosted here: its state machine and the Raft group that feeds it. {@code writeLock} makes
 * "prepare a timestamp, then propose" one step, so timestamps are ordered as the log orders entries.
 */
public record TabletReplica(Tablet tablet, GroupDriver driver, Object writeLock) {
    public TabletReplica(Tablet tablet, GroupDriver driver) {
        this(tablet, driver, new Object());
    }

    public String tabletId() {
        return tablet.tabletId();
    }

    /** RUNNING while the group runs; FAILED once it stopped after an error. */
    public String state() {
        return driver.isClosed() ? "FAILED" : "RUNNING";
    }
}
