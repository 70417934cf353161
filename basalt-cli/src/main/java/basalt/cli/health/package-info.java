/**
 * What the cluster says about itself, gathered from every server directly (not only from the leader
 * master's view): the Raft state of the catalog and of every tablet replica, and the checks of
 * {@code cluster ksck} over it.
 */
package basalt.cli.health;
