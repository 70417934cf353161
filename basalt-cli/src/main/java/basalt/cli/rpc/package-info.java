/**
 * How the CLI's data and admin commands reach the cluster until the public client (basalt-client) is on
 * main: {@link basalt.cli.rpc.ClusterClient} calls the leader master and tablet leaders, following
 * NOT_THE_LEADER hints and retrying only refusals that certainly did not apply anything, each call
 * bounded by a deadline; {@link basalt.cli.rpc.TableRoute} finds the tablet of a row.
 */
package basalt.cli.rpc;
