package basalt.consensus.wal;

import basalt.consensus.core.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a WAL's segments from its directory on open. The rules (also on {@link Wal}):
 * <ol>
 *   <li>Leftover {@code *.tmp} files (a segment creation interrupted before its rename) are deleted.</li>
 *   <li>Segments are ordered by the sequence in their names. The newest segment flagged
 *       {@link SegmentHeader#logStart()} starts the log; older segments are leftovers of an interrupted
 *       {@code resetTo} and are deleted.</li>
 *   <li>From there on, sequences must be consecutive, each segment must continue its predecessor
 *       ({@code firstIndex = previous lastIndex + 1}, {@code prevTerm = previous lastTerm}), and the
 *       records of a segment must carry consecutive indexes with non-decreasing terms. Otherwise:
 *       {@link WalCorruptionException}.</li>
 *   <li>A frame that does not decode (incomplete, implausible length, CRC mismatch) in the LAST segment,
 *       with no valid record anywhere after it in that file, is a torn tail: the file is cut there.
 *       The same frame followed by a valid record, or in any other segment, is corruption: a segment is
 *       fsynced before the next one is created, so only the last one can hold a torn write.</li>
 * </ol>
 * A corruption exception names the file and the byte offset; nothing is truncated in that case.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private Recovery() {}

    /** The segments of a WAL, and whether recovery created the first one (the directory had none). */
    record Recovered(List<Segment> segments, boolean created) {}

    /** Opens (or, for an empty directory, creates) the segments of the WAL in {@code dir}. */
    static Recovered recover(Path dir, WalOptions options) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = segmentFiles(dir);
        if (files.isEmpty()) {
            List<Segment> fresh = new ArrayList<>();
            fresh.add(Segment.create(dir, new SegmentHeader(1, 1, 0, true), options.sparseIndexIntervalBytes()));
            return new Recovered(fresh, true);
        }
        List<SegmentHeader> headers = new ArrayList<>();
        for (Path file : files) {
            try (SegmentScanner scanner = SegmentScanner.open(file)) {
                long[] named = Segment.parseFileName(file.getFileName().toString());
                SegmentHeader header = scanner.header();
                if (named[0] != header.sequence() || named[1] != header.firstIndex()) {
                    throw new WalCorruptionException(file, 0, "header says sequence " + header.sequence()
                            + " firstIndex " + header.firstIndex() + ", the file name disagrees");
                }
                headers.add(header);
            }
        }
        int start = 0;
        for (int i = 0; i < headers.size(); i++) {
            if (headers.get(i).logStart()) {
                start = i;
            }
        }
        if (start > 0) {
            // An interrupted resetTo: the new log's first segment is durable, the old segments are garbage.
            for (int i = 0; i < start; i++) {
                LOG.info("deleting {}: it predates the log start in {}", files.get(i), files.get(start));
                Files.delete(files.get(i));
            }
            Segment.fsyncDirectory(dir);
        }
        List<Segment> segments = new ArrayList<>();
        try {
            for (int i = start; i < files.size(); i++) {
                Segment previous = segments.isEmpty() ? null : segments.get(segments.size() - 1);
                segments.add(recoverSegment(files.get(i), previous, i == files.size() - 1, options));
            }
        } catch (IOException | RuntimeException e) {
            for (Segment segment : segments) {
                segment.channel.close();
            }
            throw e;
        }
        return new Recovered(segments, false);
    }

    private static List<Path> segmentFiles(Path dir) throws IOException {
        List<Path> segments = new ArrayList<>();
        boolean deletedTemp = false;
        try (Stream<Path> listing = Files.list(dir)) {
            for (Path file : listing.sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.startsWith("wal-") && name.endsWith(Segment.TEMP_SUFFIX)) {
                    LOG.info("deleting {}: a segment creation that did not finish", file);
                    Files.delete(file);
                    deletedTemp = true;
                } else if (Segment.parseFileName(name) != null) {
                    segments.add(file);
                }
            }
        }
        if (deletedTemp) {
            Segment.fsyncDirectory(dir);
        }
        // Zero-padded sequences make name order the sequence order.
        return segments;
    }

    private static Segment recoverSegment(Path file, Segment previous, boolean last, WalOptions options)
            throws IOException {
        try (SegmentScanner scanner = SegmentScanner.open(file)) {
            SegmentHeader header = scanner.header();
            if (previous != null) {
                if (header.sequence() != previous.header.sequence() + 1) {
                    throw new WalCorruptionException(file, 0, "missing segment: sequence " + header.sequence()
                            + " follows " + previous.header.sequence() + " (" + previous.path.getFileName() + ")");
                }
                if (header.firstIndex() != previous.lastIndex + 1 || header.prevTerm() != previous.lastTerm) {
                    throw new WalCorruptionException(file, 0, "gap: segment starts after " + header.prevOpId()
                            + " but " + previous.path.getFileName() + " ends at " + previous.lastTerm + "."
                            + previous.lastIndex);
                }
            }
            Segment segment = new Segment(file, header, Segment.openForAppend(file), options.sparseIndexIntervalBytes());
            try {
                scanInto(scanner, segment, last);
            } catch (IOException | RuntimeException e) {
                segment.channel.close();
                throw e;
            }
            return segment;
        }
    }

    private static void scanInto(SegmentScanner scanner, Segment segment, boolean last) throws IOException {
        Path file = scanner.path();
        // Bounded by the file size: each record moves the scanner forward by its frame.
        for (SegmentScanner.ScannedRecord record = scanner.next(); record != null; record = scanner.next()) {
            Entry entry = record.entry();
            if (entry.index() != segment.lastIndex + 1 || entry.term() < segment.lastTerm) {
                throw new WalCorruptionException(file, record.offsetBytes(), "record " + entry.opId()
                        + " cannot follow " + segment.lastTerm + "." + segment.lastIndex);
            }
            segment.onRecord(entry, record.offsetBytes(), record.frameBytes());
        }
        // Every record recovery found is in the file already: nothing is buffered.
        segment.writtenBytes = segment.endBytes;
        RecordFramer.Frame stop = scanner.stopFrame();
        if (stop == null) {
            return;
        }
        long badOffsetBytes = scanner.positionBytes();
        if (!last) {
            throw new WalCorruptionException(file, badOffsetBytes, stop.reason() + " in a segment that is not the last");
        }
        if (stop.status() == RecordFramer.Frame.Status.BAD_CONTENT) {
            throw new WalCorruptionException(file, badOffsetBytes, stop.reason());
        }
        long validAfter = scanner.findValidRecordAfter(badOffsetBytes, segment.lastIndex);
        if (validAfter >= 0) {
            throw new WalCorruptionException(file, badOffsetBytes, stop.reason()
                    + ", yet a valid record follows at offset " + validAfter + ": corruption, not a torn tail");
        }
        LOG.warn("{}: truncating a torn tail of {} bytes at offset {} ({})", file,
                scanner.fileSizeBytes() - badOffsetBytes, badOffsetBytes, stop.reason());
        segment.truncateAt(badOffsetBytes);
    }
}
