package basalt.client;

import basalt.proto.TableState;

/** A table as ListTables names it. */
public record TableInfo(String tableId, String name, int numTablets, TableState state) {}
