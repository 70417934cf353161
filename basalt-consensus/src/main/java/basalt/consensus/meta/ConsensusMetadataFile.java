package basalt.consensus.meta;

import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Reads and writes {@link ConsensusMetadata} durably.
 *
 * <p>Format (big-endian): {@code [magic u32 "BCMD"][version u16][reserved u16, zero][bodyLength u32]
 * [crc32c u32 over the body][body]}, body = {@code [currentTerm u64][votedFor length u16, 0 = none]
 * [votedFor UTF-8][committedConfigIndex u64][membership length u32][membership bytes]}. The file must be
 * exactly that long.
 *
 * <p>{@link #save} writes a temporary file, fsyncs it, renames it over the real one and fsyncs the
 * directory, so a crash leaves either the old or the new metadata, never a mix. {@link #load} never
 * invents metadata: a missing, truncated or corrupt file is a {@link ConsensusMetadataException} naming
 * the file. Only {@link #create}, for a brand new replica directory, writes the first one.
 */
public final class ConsensusMetadataFile {
    static final int MAGIC = 0x4243_4D44; // "BCMD"
    static final short VERSION = 1;
    static final int HEADER_BYTES = 4 + 2 + 2 + 4 + 4;
    /** Far above any real metadata: a larger length field is garbage. */
    static final int MAX_BODY_BYTES = 1024 * 1024;
    static final String TEMP_SUFFIX = ".tmp";

    private ConsensusMetadataFile() {}

    /** Loads the metadata; a missing or damaged file throws, naming the file. */
    public static ConsensusMetadata load(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConsensusMetadataException(file, "missing; refusing to start with a fresh term and vote "
                    + "(create it only for a brand new replica)", e);
        }
        return decode(file, ByteBuffer.wrap(bytes));
    }

    /** Writes the first metadata of a brand new replica; refuses if the file already exists. */
    public static void create(Path file, ConsensusMetadata initial) throws IOException {
        if (Files.exists(file)) {
            throw new FileAlreadyExistsException(file.toString(), null,
                    "consensus metadata already exists; load it instead of creating a new one");
        }
        save(file, initial);
    }

    /** Replaces the metadata atomically and durably: temp file, fsync, rename, fsync directory. */
    public static void save(Path file, ConsensusMetadata metadata) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path temp = dir.resolve(file.getFileName() + TEMP_SUFFIX);
        ByteBuffer encoded = encode(metadata);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long position = 0;
            // Bounded: each iteration writes at least one byte or fails.
            while (encoded.hasRemaining()) {
                int written = channel.write(encoded, position);
                if (written <= 0) {
                    throw new IOException("write of " + temp + " made no progress");
                }
                position += written;
            }
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    static ByteBuffer encode(ConsensusMetadata metadata) {
        byte[] vote = metadata.votedFor().map(node -> node.value().getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
        ByteString membership = metadata.committedMembership().encode();
        int bodyBytes = 8 + 2 + vote.length + 8 + 4 + membership.size();
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + bodyBytes);
        buffer.putInt(MAGIC).putShort(VERSION).putShort((short) 0).putInt(bodyBytes).putInt(0);
        buffer.putLong(metadata.currentTerm()).putShort((short) vote.length).put(vote);
        buffer.putLong(metadata.committedConfigIndex()).putInt(membership.size());
        membership.copyTo(buffer);
        CRC32C crc = new CRC32C();
        crc.update(buffer.array(), HEADER_BYTES, bodyBytes);
        buffer.putInt(12, (int) crc.getValue());
        buffer.flip();
        // Paired check: what we are about to write must decode to what we were given.
        try {
            ConsensusMetadata back = decode(Path.of("<encoded>"), buffer.duplicate());
            if (!back.equals(metadata)) {
                throw new IllegalStateException("metadata " + metadata + " encodes to " + back);
            }
        } catch (ConsensusMetadataException e) {
            throw new IllegalStateException("metadata " + metadata + " does not decode: " + e.getMessage(), e);
        }
        return buffer;
    }

    static ConsensusMetadata decode(Path file, ByteBuffer bytes) throws ConsensusMetadataException {
        if (bytes.remaining() < HEADER_BYTES) {
            throw new ConsensusMetadataException(file, "truncated: " + bytes.remaining() + " bytes, the header needs "
                    + HEADER_BYTES);
        }
        int magic = bytes.getInt(0);
        if (magic != MAGIC) {
            throw new ConsensusMetadataException(file, String.format("bad magic 0x%08x", magic));
        }
        short version = bytes.getShort(4);
        if (version != VERSION) {
            throw new ConsensusMetadataException(file, "unsupported version " + version);
        }
        if (bytes.getShort(6) != 0) {
            throw new ConsensusMetadataException(file, "reserved header bytes are not zero: the file is corrupt");
        }
        int bodyBytes = bytes.getInt(8);
        if (bodyBytes < 0 || bodyBytes > MAX_BODY_BYTES || bytes.remaining() != HEADER_BYTES + bodyBytes) {
            throw new ConsensusMetadataException(file, "truncated or padded: " + bytes.remaining() + " bytes, expected "
                    + HEADER_BYTES + " + " + Integer.toUnsignedString(bodyBytes));
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.array(), bytes.arrayOffset() + HEADER_BYTES, bodyBytes);
        if ((int) crc.getValue() != bytes.getInt(12)) {
            throw new ConsensusMetadataException(file, "CRC mismatch: the file is corrupt");
        }
        try {
            ByteBuffer body = bytes.duplicate().position(HEADER_BYTES);
            long term = body.getLong();
            int voteBytes = Short.toUnsignedInt(body.getShort());
            byte[] vote = new byte[voteBytes];
            body.get(vote);
            long configIndex = body.getLong();
            int membershipBytes = body.getInt();
            if (membershipBytes < 0 || membershipBytes != body.remaining()) {
                throw new ConsensusMetadataException(file, "membership length " + membershipBytes + " does not match the "
                        + body.remaining() + " bytes left");
            }
            Membership membership = Membership.decode(ByteString.copyFrom(body));
            Optional<NodeId> votedFor = voteBytes == 0 ? Optional.empty()
                    : Optional.of(new NodeId(new String(vote, StandardCharsets.UTF_8)));
            return new ConsensusMetadata(term, votedFor, membership, configIndex);
        } catch (RuntimeException e) {
            // A CRC-valid body that does not parse: written by a bug, still never silently reset.
            throw new ConsensusMetadataException(file, "malformed body: " + e.getMessage(), e);
        }
    }
}
