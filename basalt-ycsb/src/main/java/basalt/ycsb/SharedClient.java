package basalt.ycsb;

import basalt.client.BasaltClient;

/**
 * One client for all YCSB threads of a JVM (YCSB makes one DB per thread): its connections, meta cache
 * and request ids are shared, as an application would share them. Closed when the last thread cleans up.
 */
final class SharedClient {
    private static BasaltClient client;
    private static int users;

    private SharedClient() {}

    static synchronized BasaltClient acquire(YcsbOptions options) {
        if (client == null) {
            client = BasaltClient.builder(options.masters()).defaultOperationTimeout(options.timeout()).build();
        }
        users++;
        return client;
    }

    static synchronized void release() {
        if (--users == 0) {
            client.close();
            client = null;
        }
    }
}
