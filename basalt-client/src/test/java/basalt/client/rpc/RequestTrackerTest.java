package basalt.client.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import basalt.proto.RequestIdPB;
import org.junit.jupiter.api.Test;

class RequestTrackerTest {
    @Test
    void sequencesRiseAndCarryTheLowestInFlight() {
        RequestTracker tracker = new RequestTracker("client-1");
        RequestIdPB first = tracker.newRequest();
        RequestIdPB second = tracker.newRequest();
        RequestIdPB third = tracker.newRequest();
        assertThat(first.getClientId()).isEqualTo("client-1");
        assertThat(first.getSequence()).isEqualTo(1);
        assertThat(second.getSequence()).isEqualTo(2);
        assertThat(third.getSequence()).isEqualTo(3);
        assertThat(third.getFirstIncompleteSequence()).isEqualTo(1);
    }

    /** Once the oldest request ends, servers may drop its outcome: later attempts say so. */
    @Test
    void completingTheOldestRaisesFirstIncomplete() {
        RequestTracker tracker = new RequestTracker("c");
        RequestIdPB first = tracker.newRequest();
        RequestIdPB second = tracker.newRequest();
        tracker.complete(first);
        assertThat(tracker.forAttempt(second).getFirstIncompleteSequence()).isEqualTo(2);
        assertThat(tracker.forAttempt(second).getSequence()).isEqualTo(2);
        tracker.complete(second);
        assertThat(tracker.firstIncompleteSequence()).isEqualTo(3);
    }

    /** A finished middle request does not move the mark past an older one still retrying. */
    @Test
    void anOlderRequestInFlightHoldsTheMark() {
        RequestTracker tracker = new RequestTracker("c");
        RequestIdPB first = tracker.newRequest();
        RequestIdPB second = tracker.newRequest();
        RequestIdPB third = tracker.newRequest();
        tracker.complete(second);
        assertThat(tracker.forAttempt(third).getFirstIncompleteSequence()).isEqualTo(1);
        tracker.complete(first);
        assertThat(tracker.forAttempt(third).getFirstIncompleteSequence()).isEqualTo(3);
    }

    /** A retry is the same request: only the mark changes, never the sequence. */
    @Test
    void anAttemptKeepsItsSequence() {
        RequestTracker tracker = new RequestTracker("c");
        RequestIdPB request = tracker.newRequest();
        tracker.newRequest();
        assertThat(tracker.forAttempt(request).getSequence()).isEqualTo(request.getSequence());
        assertThat(tracker.forAttempt(request).getClientId()).isEqualTo("c");
    }
}
