package basalt.consensus.wal;

import basalt.common.check.Check;
import basalt.consensus.core.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One open segment file of a live {@link Wal}: its header, the end of its last whole record, its last
 * OpId and its sparse index. Every mutable field is changed only under the WAL's write lock and read
 * under at least its read lock.
 */
final class Segment {
    private static final Pattern FILE_NAME = Pattern.compile("wal-(\\d{10})-(\\d{20})\\.log");
    private static final int READ_WINDOW_BYTES = 64 * 1024;
    static final String TEMP_SUFFIX = ".tmp";

    final Path path;
    final SegmentHeader header;
    final FileChannel channel;
    final SegmentIndex sparseIndex;
    /** End of the last whole record appended, including records still buffered: where the next append goes. */
    long endBytes;
    /** End of what has been written to the file; {@code [writtenBytes, endBytes)} sits in {@code pendingFrames}. */
    long writtenBytes;
    /**
     * Framed batches appended but not yet written. Concurrent appenders only copy their frames here; the
     * group-commit leader writes them all with one write call before its fsync, so a batch of N
     * appends costs one write and one fsync instead of N writes. Reads flush first.
     */
    private final List<ByteBuffer> pendingFrames = new ArrayList<>();
    /** Index of the last record, or {@code header.firstIndex() - 1} while empty. */
    long lastIndex;
    /** Term of the last record, or {@code header.prevTerm()} while empty. */
    long lastTerm;

    Segment(Path path, SegmentHeader header, FileChannel channel, int sparseIndexIntervalBytes) {
        this.path = path;
        this.header = header;
        this.channel = channel;
        this.sparseIndex = new SegmentIndex(sparseIndexIntervalBytes);
        this.endBytes = SegmentHeader.SIZE_BYTES;
        this.writtenBytes = SegmentHeader.SIZE_BYTES;
        this.lastIndex = header.firstIndex() - 1;
        this.lastTerm = header.prevTerm();
    }

    /** {@code wal-<sequence>-<firstIndex>.log}: sequence orders the files, firstIndex is for people. */
    static String fileName(long sequence, long firstIndex) {
        return String.format("wal-%010d-%020d.log", sequence, firstIndex);
    }

    /** The (sequence, firstIndex) in a segment file name, or {@code null} if the name is not a segment's. */
    static long[] parseFileName(String name) {
        Matcher matcher = FILE_NAME.matcher(name);
        return matcher.matches() ? new long[] {Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2))} : null;
    }

    /**
     * Creates a segment durably: the header goes to a temporary file that is fsynced and renamed into
     * place, then the directory is fsynced. A segment file therefore never exists with a torn header.
     */
    static Segment create(Path dir, SegmentHeader header, int sparseIndexIntervalBytes) throws IOException {
        Path path = dir.resolve(fileName(header.sequence(), header.firstIndex()));
        Path temp = dir.resolve(path.getFileName() + TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            writeFully(channel, header.encode(), 0);
            channel.force(true);
        }
        Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(dir);
        return new Segment(path, header, openForAppend(path), sparseIndexIntervalBytes);
    }

    static FileChannel openForAppend(Path path) throws IOException {
        return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    boolean isEmpty() {
        return lastIndex < header.firstIndex();
    }

    /** Records a whole record that recovery found (or that was just written) at {@code offsetBytes}. */
    void onRecord(Entry entry, long offsetBytes, int frameBytes) {
        Check.state(entry.index() == lastIndex + 1, "%s: record %s does not follow %s", path, entry.opId(), lastIndex);
        sparseIndex.onRecord(entry.index(), offsetBytes);
        lastIndex = entry.index();
        lastTerm = entry.term();
        endBytes = offsetBytes + frameBytes;
    }

    /**
     * Buffers an already framed batch at the end and indexes it; {@link #flush()} writes it. The caller
     * holds the WAL's write lock.
     */
    void append(List<Entry> entries, ByteBuffer frames) {
        long offsetBytes = endBytes;
        pendingFrames.add(frames);
        for (Entry entry : entries) {
            int frameBytes = RecordFramer.frameSizeBytes(entry);
            onRecord(entry, offsetBytes, frameBytes);
            offsetBytes += frameBytes;
        }
    }

    boolean hasPendingFrames() {
        return !pendingFrames.isEmpty();
    }

    /** Writes every buffered frame with one write call. The caller holds the WAL's write lock. */
    void flush() throws IOException {
        if (pendingFrames.isEmpty()) {
            return;
        }
        ByteBuffer all;
        if (pendingFrames.size() == 1) {
            all = pendingFrames.get(0);
        } else {
            all = ByteBuffer.allocate(Math.toIntExact(endBytes - writtenBytes));
            for (ByteBuffer frames : pendingFrames) {
                all.put(frames);
            }
            all.flip();
        }
        Check.state(all.remaining() == endBytes - writtenBytes, "%s: %s buffered bytes, expected %s", path,
                all.remaining(), endBytes - writtenBytes);
        writeFully(channel, all, writtenBytes);
        pendingFrames.clear();
        writtenBytes = endBytes;
    }

    /** Reads entries {@code [fromIndex, min(toIndex, lastIndex)]} into {@code out}, within the byte budget. */
    long read(long fromIndex, long toIndexInclusive, long budgetBytes, boolean mustReturnOne, List<Entry> out)
            throws IOException {
        Check.arg(fromIndex >= header.firstIndex() && fromIndex <= lastIndex, "%s does not hold index %s", path, fromIndex);
        Check.state(pendingFrames.isEmpty(), "%s: read with buffered frames; flush first", path);
        FrameCursor cursor = new FrameCursor(channel, endBytes, READ_WINDOW_BYTES);
        long offsetBytes = sparseIndex.floorOffset(fromIndex, SegmentHeader.SIZE_BYTES);
        long last = Math.min(toIndexInclusive, lastIndex);
        long usedBytes = 0;
        // Bounded by the records between the sparse-index point and `last`, each visited once.
        while (offsetBytes < endBytes) {
            RecordFramer.Frame frame = cursor.frameAt(offsetBytes);
            if (frame.status() != RecordFramer.Frame.Status.OK) {
                throw new WalCorruptionException(path, offsetBytes, frame.reason());
            }
            Entry entry = frame.entry();
            if (entry.index() >= fromIndex) {
                boolean first = out.isEmpty() && mustReturnOne;
                if (!first && usedBytes + entry.sizeBytes() > budgetBytes) {
                    break;
                }
                out.add(entry);
                usedBytes += entry.sizeBytes();
                if (entry.index() >= last) {
                    break;
                }
            }
            offsetBytes += frame.frameBytes();
        }
        return usedBytes;
    }

    /** File offset of the record with {@code index}, which this segment must hold. */
    long offsetOf(long index) throws IOException {
        Check.arg(index >= header.firstIndex() && index <= lastIndex, "%s does not hold index %s", path, index);
        Check.state(pendingFrames.isEmpty(), "%s: offset lookup with buffered frames; flush first", path);
        FrameCursor cursor = new FrameCursor(channel, endBytes, READ_WINDOW_BYTES);
        long offsetBytes = sparseIndex.floorOffset(index, SegmentHeader.SIZE_BYTES);
        // Bounded: each step moves past one whole record, toward endBytes.
        while (offsetBytes < endBytes) {
            RecordFramer.Frame frame = cursor.frameAt(offsetBytes);
            if (frame.status() != RecordFramer.Frame.Status.OK) {
                throw new WalCorruptionException(path, offsetBytes, frame.reason());
            }
            if (frame.entry().index() == index) {
                return offsetBytes;
            }
            offsetBytes += frame.frameBytes();
        }
        throw new WalCorruptionException(path, offsetBytes, "index " + index + " not found before the end");
    }

    /**
     * Drops records at and after {@code fromIndex} and makes the shorter file durable. The term of the
     * new last record is read back so {@code lastTerm} stays exact.
     */
    void truncateFrom(long fromIndex) throws IOException {
        if (fromIndex > lastIndex) {
            return;
        }
        flush();
        long cutBytes = fromIndex <= header.firstIndex() ? SegmentHeader.SIZE_BYTES : offsetOf(fromIndex);
        truncateAt(cutBytes);
        sparseIndex.truncateFrom(fromIndex);
        lastIndex = fromIndex - 1;
        if (lastIndex < header.firstIndex()) {
            lastTerm = header.prevTerm();
        } else {
            ArrayList<Entry> last = new ArrayList<>(1);
            read(lastIndex, lastIndex, Long.MAX_VALUE, true, last);
            lastTerm = last.get(0).term();
        }
    }

    /** Cuts the file at {@code cutBytes} durably (recovery uses it for a torn tail). */
    void truncateAt(long cutBytes) throws IOException {
        channel.truncate(cutBytes);
        // force(true): the new size is metadata, and it must be durable before anything is appended.
        channel.force(true);
        endBytes = cutBytes;
        writtenBytes = cutBytes;
    }

    static void writeFully(FileChannel channel, ByteBuffer buffer, long positionBytes) throws IOException {
        long position = positionBytes;
        // Bounded: each iteration writes at least one byte or fails.
        while (buffer.hasRemaining()) {
            int written = channel.write(buffer, position);
            if (written <= 0) {
                throw new IOException("write made no progress at offset " + position);
            }
            position += written;
        }
    }

    /** Makes creations, renames and deletions in {@code dir} durable. */
    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    @Override
    public String toString() {
        return path.getFileName() + "[" + header.firstIndex() + ".." + lastIndex + "]";
    }
}
