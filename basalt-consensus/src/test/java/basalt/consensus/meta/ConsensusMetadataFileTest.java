package basalt.consensus.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import basalt.consensus.core.Membership;
import basalt.consensus.core.NodeId;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsensusMetadataFileTest {
    @TempDir
    Path dir;

    private static final Membership THREE = Membership.ofVoters(NodeId.of("n1"), NodeId.of("n2"), NodeId.of("n3"));

    /** Goal: term, vote and committed membership survive a save and load; later saves replace earlier ones. */
    @Test
    void roundTrip() throws IOException {
        Path file = dir.resolve("cmeta");
        ConsensusMetadataFile.create(file, ConsensusMetadata.initial(THREE));
        assertThat(ConsensusMetadataFile.load(file)).isEqualTo(ConsensusMetadata.initial(THREE));
        ConsensusMetadata voted = new ConsensusMetadata(7, Optional.of(NodeId.of("n2")),
                THREE.withLearner(NodeId.of("n4")), 42);
        ConsensusMetadataFile.save(file, voted);
        assertThat(ConsensusMetadataFile.load(file)).isEqualTo(voted);
        ConsensusMetadata noVote = voted.withTermAndVote(8, Optional.empty());
        ConsensusMetadataFile.save(file, noVote);
        assertThat(ConsensusMetadataFile.load(file)).isEqualTo(noVote);
        assertThat(Files.exists(dir.resolve("cmeta" + ConsensusMetadataFile.TEMP_SUFFIX))).isFalse();
    }

    /** Goal: create is only for a brand new replica; it never overwrites existing metadata. */
    @Test
    void createRefusesAnExistingFile() throws IOException {
        Path file = dir.resolve("cmeta");
        ConsensusMetadataFile.create(file, ConsensusMetadata.initial(THREE));
        assertThatThrownBy(() -> ConsensusMetadataFile.create(file, ConsensusMetadata.initial(THREE)))
                .isInstanceOf(FileAlreadyExistsException.class);
    }

    /** Goal: every single flipped byte is refused with the path in the message, never a silent reset. */
    @Test
    void corruptByteRefused() throws IOException {
        Path file = dir.resolve("cmeta");
        ConsensusMetadataFile.create(file, new ConsensusMetadata(3, Optional.of(NodeId.of("n1")), THREE, 5));
        byte[] good = Files.readAllBytes(file);
        for (int offset = 0; offset < good.length; offset++) {
            byte[] bad = Arrays.copyOf(good, good.length);
            bad[offset] ^= 0x10;
            Files.write(file, bad);
            assertThatThrownBy(() -> ConsensusMetadataFile.load(file))
                    .as("flipped byte at %s", offset)
                    .isInstanceOf(ConsensusMetadataException.class)
                    .hasMessageContaining(file.toString());
        }
    }

    /** Goal: a truncated file (every shorter length) is refused, naming the file. */
    @Test
    void truncatedFileRefused() throws IOException {
        Path file = dir.resolve("cmeta");
        ConsensusMetadataFile.create(file, ConsensusMetadata.initial(THREE));
        byte[] good = Files.readAllBytes(file);
        for (int length = 0; length < good.length; length++) {
            Files.write(file, Arrays.copyOf(good, length));
            assertThatThrownBy(() -> ConsensusMetadataFile.load(file))
                    .isInstanceOf(ConsensusMetadataException.class)
                    .hasMessageContaining(file.toString());
        }
    }

    /** Goal: load never invents metadata for a missing file. */
    @Test
    void missingFileRefused() {
        Path file = dir.resolve("cmeta");
        assertThatThrownBy(() -> ConsensusMetadataFile.load(file))
                .isInstanceOf(ConsensusMetadataException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("missing");
    }
}
