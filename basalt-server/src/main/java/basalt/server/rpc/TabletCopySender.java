package basalt.server.rpc;

import basalt.consensus.core.NodeId;
import basalt.consensus.driver.TabletCopy;
import basalt.proto.InstallTabletCopyResponsePB;
import basalt.proto.TabletCopyChunkPB;
import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one tablet copy to one peer as {@code InstallTabletCopy} chunks, pushing a chunk only while
 * the stream is ready, so a copy of any size holds about one chunk in memory beyond the copy itself.
 * The first chunk carries the OpId, config and total size; every chunk its offset. Chunks are views of
 * the copy's bytes ({@link ByteString#substring} shares them). {@code onDone} runs once, however the
 * call ends.
 */
final class TabletCopySender implements ClientResponseObserver<TabletCopyChunkPB, InstallTabletCopyResponsePB> {
    private static final Logger LOG = LoggerFactory.getLogger(TabletCopySender.class);

    private final String groupId;
    private final NodeId self;
    private final NodeId target;
    private final TabletCopy copy;
    private final int chunkBytes;
    private final Runnable onDone;
    private ClientCallStreamObserver<TabletCopyChunkPB> requestStream;
    // Guarded by this: onReady callbacks may overlap with the first push.
    private long offset;
    private boolean firstSent;
    private boolean finished;

    TabletCopySender(String groupId, NodeId self, NodeId target, TabletCopy copy, int chunkBytes, Runnable onDone) {
        this.groupId = groupId;
        this.self = self;
        this.target = target;
        this.copy = copy;
        this.chunkBytes = chunkBytes;
        this.onDone = onDone;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<TabletCopyChunkPB> stream) {
        this.requestStream = stream;
        stream.setOnReadyHandler(this::push);
    }

    private synchronized void push() {
        ByteString data = copy.data();
        while (!finished && requestStream.isReady()) {
            int length = (int) Math.min(chunkBytes, data.size() - offset);
            TabletCopyChunkPB.Builder chunk = TabletCopyChunkPB.newBuilder()
                    .setGroupId(groupId)
                    .setFrom(self.value())
                    .setTo(target.value())
                    .setOffset(offset)
                    .setData(data.substring((int) offset, (int) offset + length));
            if (!firstSent) {
                chunk.setLastIncluded(ProtoCodec.encode(copy.lastIncluded()))
                        .setConfigIndex(copy.config().index())
                        .setConfig(ProtoCodec.encode(copy.config().membership()))
                        .setTotalBytes(data.size());
                firstSent = true;
            }
            requestStream.onNext(chunk.build());
            offset += length;
            if (offset >= data.size()) {
                finished = true;
                requestStream.onCompleted();
            }
        }
    }

    @Override
    public void onNext(InstallTabletCopyResponsePB response) {
        if (response.hasError()) {
            LOG.warn("group {}: tablet copy up to {} refused by {}: {} {}", groupId, copy.lastIncluded(), target,
                    response.getError().getCode(), response.getError().getMessage());
        } else {
            LOG.info("group {}: tablet copy up to {} ({} bytes) delivered to {}", groupId, copy.lastIncluded(),
                    copy.data().size(), target);
        }
    }

    @Override
    public void onError(Throwable failure) {
        LOG.warn("group {}: tablet copy to {} failed: {}", groupId, target, failure.toString());
        onDone.run();
    }

    @Override
    public void onCompleted() {
        onDone.run();
    }
}
