/**
 * Tables as an operator types and reads them: the {@code --hash} spec of {@code table create}, and rows
 * as JSON objects ({@code table insert}, {@code table scan}), converted with the table's schema and
 * refused with a message naming the column and the value when they do not fit it.
 */
package basalt.cli.table;
