package basalt.consensus.wal;

import basalt.consensus.core.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads WAL files without opening a {@link Wal} (no recovery, nothing changed on disk): every record of
 * a segment file, or of every segment of a directory in sequence order. {@code basalt wal dump} uses
 * it; it walks the files with the same {@link SegmentScanner} and {@link RecordFramer} as recovery.
 */
public final class WalReader {
    private WalReader() {}

    /** Receives what a scan finds, in file order. */
    public interface Visitor {
        /** A segment whose header decoded. */
        default void onSegment(Path file, SegmentHeader header) {}

        /** One whole record with a good CRC. */
        void onRecord(Path file, long offsetBytes, Entry entry);

        /** The scan of {@code file} stopped at a frame that does not decode (torn tail or corruption). */
        default void onBadFrame(Path file, long offsetBytes, String reason) {}
    }

    /**
     * Scans a segment file, or every segment file in a directory.
     *
     * @return how many records were visited
     * @throws WalCorruptionException when a segment header does not decode
     */
    public static long scan(Path fileOrDirectory, Visitor visitor) throws IOException {
        long records = 0;
        for (Path file : segmentFiles(fileOrDirectory)) {
            try (SegmentScanner scanner = SegmentScanner.open(file)) {
                visitor.onSegment(file, scanner.header());
                // Bounded by the file size: each record moves the scanner forward by its frame.
                for (SegmentScanner.ScannedRecord record = scanner.next(); record != null; record = scanner.next()) {
                    visitor.onRecord(file, record.offsetBytes(), record.entry());
                    records++;
                }
                if (scanner.stopFrame() != null) {
                    visitor.onBadFrame(file, scanner.positionBytes(), scanner.stopFrame().reason());
                }
            }
        }
        return records;
    }

    private static List<Path> segmentFiles(Path fileOrDirectory) throws IOException {
        if (!Files.isDirectory(fileOrDirectory)) {
            return List.of(fileOrDirectory);
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(fileOrDirectory)) {
            listing.filter(file -> Segment.parseFileName(file.getFileName().toString()) != null)
                    .sorted()
                    .forEach(files::add);
        }
        return files;
    }
}
